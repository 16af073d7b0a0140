"""SQLAlchemy 2 tables of the coordinators' workspace.

The configured database is the only store of patient data: a workspace patient is its FHIR
bundle (JSON, as imported or edited); a screening keeps the full result JSON of one trial, the
hash of the protocol it was computed with and the patient version it read, so that a re-screen
can say *what* changed. The audit log keeps who did what to which patient record, never the
record itself.

Access control is a query scope (see ``persistence/scope.py``): every table holding a site's
data inherits :class:`SiteScoped`, and a request's session sees only rows of its user's site.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES: tuple[str, ...] = ("admin", "coordinator", "viewer")
AUDIT_ACTIONS: tuple[str, ...] = (
    "view",
    "create",
    "update",
    "export",
    "delete",
    "revoke",
    "login",
    "logout",
    "login_failed",
)
AUDIT_ACTION_CHECK = "action IN (" + ", ".join(f"'{a}'" for a in AUDIT_ACTIONS) + ")"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Site(Base):
    """A trial centre: its coordinators and viewers see only its patients and their data."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteScoped:
    """Marker of tables whose rows belong to one site (``site_id``): the session scope filters
    every ORM query on them to the signed-in user's site (admins see every site). Each such
    table declares its own ``site_id`` column (a foreign key to ``sites.id``)."""


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'coordinator', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    username_key: Mapped[str] = mapped_column(String(80), unique=True)
    """The case-folded username (NFKC): "VERA" and "vera" are the same account."""
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    site: Mapped[Site] = relationship(lazy="joined")

    @property
    def can_edit(self) -> bool:
        return self.role in ("admin", "coordinator")


class ApiToken(Base):
    """A bearer token for ``/api/v1`` workspace resources; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="tokens")


class PatientRecord(SiteScoped, Base):
    """A workspace patient: the FHIR bundle as imported or edited, versioned on every change.

    ``version`` counts bundle changes (screenings record which one they read); ``row_version``
    counts every change and is the optimistic lock (the API's ETag): an UPDATE whose
    ``row_version`` no longer matches fails instead of overwriting someone else's change.
    """

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    row_version: Mapped[int] = mapped_column(default=1)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str | None] = mapped_column(String(200), default=None)
    bundle: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    notes: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    screenings: Mapped[list[Screening]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": row_version}


class Screening(SiteScoped, Base):
    """One trial's result of one screening run (rows of a run share ``run_id``); ``site_id``
    is the patient's site."""

    __tablename__ = "screenings"
    __table_args__ = (
        CheckConstraint("verdict IN ('ELIGIBLE', 'NEEDS_DATA', 'INELIGIBLE')", name="verdict"),
        Index("ix_screenings_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    trial_id: Mapped[str] = mapped_column(String(20), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[date] = mapped_column(Date)
    protocol_hash: Mapped[str] = mapped_column(String(64))
    patient_version: Mapped[int] = mapped_column()
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[PatientRecord] = relationship(back_populates="screenings")


class AuditEntry(SiteScoped, Base):
    """Who viewed, created, changed, exported or deleted which patient record, who signed in
    or failed to, which users, sites and tokens were created or revoked, and when.

    ``patient_id`` is deliberately not a foreign key: the trail outlives a deleted record.
    ``detail`` is a short fixed description (never patient data). ``site_id`` is the site the
    entry belongs to (the patient's, else the user's; none for installation-wide events, which
    only administrators see). Rows are append-only: the database refuses UPDATE and DELETE
    (triggers, migration 0003) and no repository offers either.
    """

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(AUDIT_ACTION_CHECK, name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[int | None] = mapped_column(index=True, default=None)
    detail: Mapped[str] = mapped_column(String(200), default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True, default=None)


class LoginFailure(Base):
    """One failed sign-in, counted per username to limit guessing (see ``LoginThrottle``).

    The username is kept only as a keyed hash (HMAC with the app's secret key): the table never
    holds what was typed, which may be a mistyped password. Rows older than the limiting window
    are deleted on the next failure. In the database, not in process memory, so every worker
    process sees the same count.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_key_at", "username_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebSession(Base):
    """A signed-in (or anonymous, CSRF-holding) browser session, kept on the server.

    The cookie carries only a random id; the table keeps its SHA-256 (a leaked table does not
    give usable cookies). Revoked on sign-out, password change and deactivation; refused after
    the idle or absolute timeout (settings).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AppMeta(Base):
    """Key/value facts about this installation (e.g. that first-start seeding is done)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


from cartrial.persistence import conduct_models as _conduct_models  # noqa: E402, F401
from cartrial.persistence import engage_models as engage_models  # noqa: E402,F401  (issue 14 tables)
