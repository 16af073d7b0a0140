"""Tables of the engage area: contact requests, the mail outbox, volunteers and alerts, private
notes and their passcode-protected share links.

Personal fields are stored encrypted (columns ending in ``_enc``: Fernet tokens, see
``cartrial.engage.crypto``); where a row must be found by an email address or an IP address, a
keyed hash of it (``*_key``: HMAC-SHA256 with the app's secret) is stored beside it, never the
value. Bearer secrets (share tokens, volunteer manage tokens, notebook cookies) are stored as
SHA-256 hashes; share passcodes as argon2id hashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cartrial.persistence.models import Base, utcnow

CONTACT_STATUSES: tuple[str, ...] = ("new", "contacted", "screened", "not_eligible", "closed")
CLOSED_STATUSES: tuple[str, ...] = ("screened", "not_eligible", "closed")
OUTBOX_STATUSES: tuple[str, ...] = ("pending", "sent", "failed")
VOLUNTEER_STATUSES: tuple[str, ...] = ("pending", "confirmed", "unsubscribed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ContactRequest(Base):
    """A visitor's request to be contacted by one site of one trial."""

    __tablename__ = "engage_contact_requests"
    __table_args__ = (
        CheckConstraint(_in("status", CONTACT_STATUSES), name="status"),
        Index("ix_engage_contact_requests_site", "nct_id", "site_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(20), index=True)
    site_key: Mapped[str] = mapped_column(String(32))
    site_label: Mapped[str] = mapped_column(String(400))
    workspace_site_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    """The workspace site (``sites.id``) whose name is the facility's, if any; no foreign key so
    that removing a workspace site never removes requests."""
    status: Mapped[str] = mapped_column(String(20), default="new")
    email_key: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    name_enc: Mapped[str] = mapped_column(Text)
    email_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    message_enc: Mapped[str | None] = mapped_column(Text, default=None)
    summary_enc: Mapped[str | None] = mapped_column(Text, default=None)
    """The pre-screening summary the visitor chose to share, if any."""
    language: Mapped[str] = mapped_column(String(40), default="")
    preferred_time: Mapped[str] = mapped_column(String(40), default="")
    consent_version: Mapped[str] = mapped_column(String(40))
    consent_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    events: Mapped[list[ContactEvent]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ContactEvent.id",
    )


class ContactEvent(Base):
    """The audit trail of one contact request: created, viewed, status changes, notes."""

    __tablename__ = "engage_contact_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("engage_contact_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str | None] = mapped_column(String(20), default=None)
    note_enc: Mapped[str | None] = mapped_column(Text, default=None)

    request: Mapped[ContactRequest] = relationship(back_populates="events")


class RateEvent(Base):
    """One counted action for rate limiting; ``key`` is a keyed hash (of an IP or an address)."""

    __tablename__ = "engage_rate_events"
    __table_args__ = (Index("ix_engage_rate_events_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Volunteer(Base):
    """A volunteer; everything they told us is in ``profile_enc`` (encrypted JSON)."""

    __tablename__ = "engage_volunteers"
    __table_args__ = (CheckConstraint(_in("status", VOLUNTEER_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64), unique=True)
    email_enc: Mapped[str] = mapped_column(Text)
    profile_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    manage_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)


class AlertSent(Base):
    """That a volunteer was told about a trial: the guard against alerting twice."""

    __tablename__ = "engage_alerts_sent"
    __table_args__ = (UniqueConstraint("volunteer_id", "nct_id", name="volunteer_trial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("engage_volunteers.id", ondelete="CASCADE"), index=True
    )
    nct_id: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrialSeen(Base):
    """When the alerts run first saw a trial, and since when it is open for recruitment."""

    __tablename__ = "engage_trials_seen"

    nct_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    open_since: Mapped[datetime | None] = mapped_column(default=None)
    baseline: Mapped[bool] = mapped_column(default=False)
    """Seen in the very first run: already there before any alert could be due."""


class OutboxMessage(Base):
    """One email waiting to be sent (or sent / given up); the message itself is encrypted."""

    __tablename__ = "engage_outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_engage_outbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_key: Mapped[str] = mapped_column(String(64), index=True)
    message_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("engage_volunteers.id", ondelete="CASCADE"), default=None, index=True
    )
    contact_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("engage_contact_requests.id", ondelete="CASCADE"), default=None, index=True
    )


class Notebook(Base):
    """A private notebook: an anonymous visitor's (cookie key, hashed) or a signed-in user's."""

    __tablename__ = "engage_notebooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """A note on a passage of a trial page, anchored by a W3C TextQuoteSelector."""

    __tablename__ = "engage_notes"
    __table_args__ = (Index("ix_engage_notes_notebook_trial", "notebook_id", "nct_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notebook_id: Mapped[int] = mapped_column(ForeignKey("engage_notebooks.id", ondelete="CASCADE"))
    nct_id: Mapped[str] = mapped_column(String(20))
    exact: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(200), default="")
    suffix: Mapped[str] = mapped_column(String(200), default="")
    body_enc: Mapped[str] = mapped_column(Text)
    protocol_version: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareLink(Base):
    """A passcode-protected, expiring, revocable link to some notes of one trial."""

    __tablename__ = "engage_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notebook_id: Mapped[int] = mapped_column(
        ForeignKey("engage_notebooks.id", ondelete="CASCADE"), index=True
    )
    nct_id: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    passcode_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locks: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class ShareNote(Base):
    """Which notes a share link shows (a snapshot: notes added later are not shared)."""

    __tablename__ = "engage_share_notes"

    share_id: Mapped[int] = mapped_column(
        ForeignKey("engage_shares.id", ondelete="CASCADE"), primary_key=True
    )
    note_id: Mapped[int] = mapped_column(
        ForeignKey("engage_notes.id", ondelete="CASCADE"), primary_key=True
    )


__all__ = [
    "CLOSED_STATUSES",
    "CONTACT_STATUSES",
    "AlertSent",
    "ContactEvent",
    "ContactRequest",
    "Note",
    "Notebook",
    "OutboxMessage",
    "RateEvent",
    "ShareLink",
    "ShareNote",
    "TrialSeen",
    "Volunteer",
]
