"""Access control as a query scope: a session sees only the rows of its user's site.

Every table holding a site's data inherits :class:`~cartrial.persistence.models.SiteScoped`.
A listener on every ORM session adds ``WHERE site_id = <the user's site>`` to each SELECT,
UPDATE and DELETE touching such a table — in subqueries, joins and relationship loads too —
and refuses to flush a row into another site. Routes and repositories never repeat the check:
a record of another site is simply not found (404, which also does not say it exists).

A web request's session starts with :data:`NOBODY` (no site rows at all) until
authentication sets the user's scope; administrators get :data:`EVERY_SITE`. Sessions opened
outside a request (CLI, first-start seeding, migrations) carry no scope and see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, false
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria

from cartrial.persistence.models import AuditEntry, SiteScoped, User

_KEY = "site_scope"


@dataclass(frozen=True)
class SiteScope:
    """Which sites' rows a session may see: ``site_id`` None means every site."""

    site_id: int | None
    nobody: bool = False

    @property
    def restricted(self) -> bool:
        return self.nobody or self.site_id is not None


EVERY_SITE = SiteScope(None)
NOBODY = SiteScope(None, nobody=True)


class OutOfScope(PermissionError):
    """A write into a site the session's user does not belong to."""


def scope_for(user: User) -> SiteScope:
    """Administrators see every site; coordinators and viewers their own."""
    return EVERY_SITE if user.role == "admin" else SiteScope(user.site_id)


def set_scope(db: Session, scope: SiteScope) -> None:
    db.info[_KEY] = scope


def scope_of(db: Session) -> SiteScope | None:
    """The session's scope (None: an unscoped system session)."""
    found = db.info.get(_KEY)
    return found if isinstance(found, SiteScope) else None


def site_filter(db: Session, column: Any) -> Any:
    """``column == <site>`` for queries that select columns of a table that is not an ORM
    entity (the ORM entities are filtered automatically); ``true`` when unrestricted.

    For other areas' tables that keep a site id without inheriting ``SiteScoped``.
    """
    from sqlalchemy import true

    scope = scope_of(db)
    if scope is None or not scope.restricted:
        return true()
    if scope.nobody:
        return false()
    return column == scope.site_id


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    scope = scope_of(state.session)
    if scope is None or not scope.restricted or state.is_column_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    site = scope.site_id
    options = []
    for cls in scoped_classes():
        if scope.nobody:
            options.append(with_loader_criteria(cls, lambda c: false(), include_aliases=True))
        else:
            options.append(
                with_loader_criteria(cls, lambda c: c.site_id == site, include_aliases=True)
            )
    state.statement = state.statement.options(*options)


def scoped_classes() -> list[type[Any]]:
    """Every mapped class holding a site's rows (subclasses of ``SiteScoped``, any module)."""
    found: list[type[Any]] = []
    pending: list[type[Any]] = list(SiteScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__mapper__") and "site_id" in cls.__mapper__.columns:
            found.append(cls)
    return found


@event.listens_for(Session, "before_flush")
def _scope_writes(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    scope = scope_of(session)
    if scope is None or not scope.restricted:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, SiteScoped) or isinstance(obj, AuditEntry):
            continue  # the audit trail is appended by the application itself
        site = getattr(obj, "site_id", None)
        if scope.nobody or site != scope.site_id:
            raise OutOfScope(f"{type(obj).__name__} belongs to another site")
