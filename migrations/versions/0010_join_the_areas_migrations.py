"""join the areas' migrations

Revision ID: 0010
Revises: 0003, 0006, 0007, 0009
Create Date: 2026-11-24 05:02:05.547793

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = ('0003', '0006', '0007', '0009')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
