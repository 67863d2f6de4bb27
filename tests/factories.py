"""factory_boy factories for the models, bound to whatever session the test runs in."""

from __future__ import annotations

import functools
import itertools

import factory
from argon2 import PasswordHasher

from studio.extensions import db
from studio.models import Brand, ClientBrandAccess, Membership, Role, User, Workspace

DEFAULT_PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


@functools.cache
def _default_hash() -> str:
    # Hashed once: argon2id at production cost per factory user would slow the suite.
    return PasswordHasher().hash(DEFAULT_PASSWORD)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(_Base):
    class Meta:
        model = User

    name = factory.Faker("name")
    email = factory.LazyFunction(lambda: f"user{next(_seq)}@plume.example")
    password_hash = factory.LazyFunction(_default_hash)


class WorkspaceFactory(_Base):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.LazyFunction(lambda: f"ws-{next(_seq)}")


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class BrandFactory(_Base):
    class Meta:
        model = Brand

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.LazyFunction(lambda: f"brand-{next(_seq)}")
    timezone = "Europe/Paris"
    colour = "#336699"


class Maker:
    """Shortcuts over the factories for the shapes tests need most."""

    def user(self, **kw) -> User:
        return UserFactory(**kw)

    def workspace(self, **kw) -> Workspace:
        return WorkspaceFactory(**kw)

    def brand(self, workspace: Workspace, **kw) -> Brand:
        return BrandFactory(workspace=workspace, **kw)

    def member(
        self,
        workspace: Workspace,
        role: Role = Role.OWNER,
        brands: list[Brand] | None = None,
        **user_kw,
    ) -> Membership:
        membership = MembershipFactory(workspace=workspace, user=UserFactory(**user_kw), role=role)
        for brand in brands or []:
            db.session.add(ClientBrandAccess(membership_id=membership.id, brand_id=brand.id))
        # Committed like the factories, so a view's rollback can't take test data with it.
        db.session.commit()
        return membership
