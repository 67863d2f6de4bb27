"""comment edits and deletions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 06:29:48.682917

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, never batch mode: on SQLite batch mode copies the table and drops
# the old one, and with foreign keys on (studio.database) that DROP cascades into every
# reply and every notification about a comment.


def upgrade():
    op.add_column('comments', sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('comments', sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('comments', sa.Column('deleted_by_id', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('comments', 'deleted_by_id')
    op.drop_column('comments', 'deleted_at')
    op.drop_column('comments', 'edited_at')
