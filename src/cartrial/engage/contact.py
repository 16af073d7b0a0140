"""Contact requests: a visitor asks one site of one trial to get in touch.

The visitor's consent (its text and version) is stored with the request; the request is
encrypted at rest (see :mod:`cartrial.engage.crypto`); the site's coordinators work it in the
workspace inbox (new → contacted → screened / not eligible / closed), every step in the trail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cartrial.domain.trial import Site
from cartrial.engage.crypto import email_key
from cartrial.engage.mail import Mail, Outbox
from cartrial.engage.ratelimit import RateLimiter
from cartrial.engage.service import Engage
from cartrial.persistence.engage_models import (
    CLOSED_STATUSES,
    CONTACT_STATUSES,
    ContactEvent,
    ContactRequest,
)

CONSENT_VERSION = "contact-2026-12"
CONSENT_TEXT = (
    "I agree that the study team of the site I chose may contact me by email or phone about "
    "this trial, using the details I give here. cartrial keeps this request, encrypted, until "
    "{days} days after the study team closes it; I can ask for a copy or its deletion at any time."
)
PREFERRED_TIMES: tuple[str, ...] = ("any", "morning", "afternoon", "evening")
STATUS_LABELS = {
    "new": "new",
    "contacted": "contacted",
    "screened": "screened",
    "not_eligible": "not eligible",
    "closed": "closed",
}
# the usual shape of an address; the real check is the confirmation email arriving
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")


def consent_text(retention_days: int) -> str:
    return CONSENT_TEXT.format(days=retention_days)


def site_key(site: Site) -> str:
    """A stable identifier of a registry site (facility, city, country)."""
    raw = "|".join((site.facility or "", site.city or "", site.country or "")).casefold()
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def site_label(site: Site) -> str:
    place = ", ".join(p for p in (site.city, site.state, site.country) if p)
    return " — ".join(p for p in (site.facility, place) if p) or "(unnamed site)"


def check_email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise ValueError("is not an email address (name@example.org)")
    return value


class ContactInput(BaseModel):
    """The contact form, validated once at the edge; errors name the field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=40)
    language: str = Field("", max_length=40)
    preferred_time: str = "any"
    site: str = Field(min_length=1, max_length=32)
    message: str = Field("", max_length=2000)
    summary: str = Field("", max_length=4000)
    """A pre-screening summary the visitor chose to attach (optional)."""
    consent: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return check_email(v) if v else v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        if v and not PHONE_RE.match(v):
            raise ValueError("may hold digits, spaces, + ( ) . / - only (6-30 characters)")
        return v

    @field_validator("preferred_time")
    @classmethod
    def _time(cls, v: str) -> str:
        v = v or "any"
        if v not in PREFERRED_TIMES:
            raise ValueError(f"must be one of {', '.join(PREFERRED_TIMES)}")
        return v

    @model_validator(mode="after")
    def _reachable(self) -> ContactInput:
        if not self.email and not self.phone:
            raise ValueError("give an email address or a phone number (or both)")
        if not self.consent:
            raise ValueError("consent: tick the box to agree to be contacted for this trial")
        return self


@dataclass(frozen=True)
class ContactView:
    """A request with its personal fields decrypted, for the inbox."""

    id: int
    nct_id: str
    site_label: str
    status: str
    name: str
    email: str
    phone: str
    language: str
    preferred_time: str
    message: str
    summary: str
    consent_version: str
    consent_text: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class EventView:
    at: datetime
    username: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str


class ContactRequests:
    """Repository of contact requests (never commits)."""

    def __init__(self, db: Session, engage: Engage) -> None:
        self.db = db
        self.engage = engage

    def create(
        self,
        data: ContactInput,
        *,
        nct_id: str,
        site: Site,
        now: datetime,
        client_ip: str,
        workspace_site_id: int | None = None,
    ) -> ContactRequest:
        s = self.engage.settings
        limiter = RateLimiter(self.db, self.engage.cipher)
        limiter.check_and_count(
            "contact-ip",
            client_ip,
            limit=s.contact_per_ip_per_hour,
            window=timedelta(hours=1),
            now=now,
            what="this network address",
        )
        if data.email:
            limiter.check_and_count(
                "contact-email",
                data.email,
                limit=s.contact_per_address_per_day,
                window=timedelta(days=1),
                now=now,
                what="this email address",
            )
        c = self.engage.cipher
        row = ContactRequest(
            nct_id=nct_id,
            site_key=site_key(site),
            site_label=site_label(site)[:400],
            workspace_site_id=workspace_site_id,
            status="new",
            email_key=email_key(c, data.email) if data.email else None,
            name_enc=c.encrypt(data.name),
            email_enc=c.encrypt_opt(data.email),
            phone_enc=c.encrypt_opt(data.phone),
            message_enc=c.encrypt_opt(data.message),
            summary_enc=c.encrypt_opt(data.summary),
            language=data.language,
            preferred_time=data.preferred_time,
            consent_version=CONSENT_VERSION,
            consent_text=consent_text(s.retention_days),
            created_at=now,
            updated_at=now,
        )
        self.db.add(row)
        self.db.flush()
        self.db.add(ContactEvent(request_id=row.id, at=now, action="created", to_status="new"))
        self.db.flush()
        return row

    def query(
        self, *, status: str | None = None, workspace_site_id: int | None = None
    ) -> Sequence[ContactRequest]:
        q = select(ContactRequest).order_by(
            ContactRequest.created_at.desc(), ContactRequest.id.desc()
        )
        if status:
            q = q.where(ContactRequest.status == status)
        if workspace_site_id is not None:
            q = q.where(ContactRequest.workspace_site_id == workspace_site_id)
        return self.db.scalars(q).all()

    def counts(self, workspace_site_id: int | None = None) -> dict[str, int]:
        q = select(ContactRequest.status, func.count()).group_by(ContactRequest.status)
        if workspace_site_id is not None:
            q = q.where(ContactRequest.workspace_site_id == workspace_site_id)
        found = {str(k): int(v) for k, v in self.db.execute(q).all()}
        return {s: found.get(s, 0) for s in CONTACT_STATUSES}

    def get(self, request_id: int) -> ContactRequest | None:
        return self.db.get(ContactRequest, request_id)

    def view(self, row: ContactRequest) -> ContactView:
        c = self.engage.cipher
        return ContactView(
            id=row.id,
            nct_id=row.nct_id,
            site_label=row.site_label,
            status=row.status,
            name=c.decrypt(row.name_enc),
            email=c.decrypt_opt(row.email_enc),
            phone=c.decrypt_opt(row.phone_enc),
            language=row.language,
            preferred_time=row.preferred_time,
            message=c.decrypt_opt(row.message_enc),
            summary=c.decrypt_opt(row.summary_enc),
            consent_version=row.consent_version,
            consent_text=row.consent_text,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )

    def events(self, row: ContactRequest) -> list[EventView]:
        c = self.engage.cipher
        return [
            EventView(
                e.at, e.username, e.action, e.from_status, e.to_status, c.decrypt_opt(e.note_enc)
            )
            for e in row.events
        ]

    def record_view(
        self, row: ContactRequest, *, user_id: int, username: str, now: datetime
    ) -> None:
        self.db.add(
            ContactEvent(
                request_id=row.id, at=now, user_id=user_id, username=username, action="viewed"
            )
        )
        self.db.flush()

    def update(
        self,
        row: ContactRequest,
        *,
        status: str | None,
        note: str,
        user_id: int | None,
        username: str,
        now: datetime,
    ) -> None:
        """Change the status and/or add a note; both go into the trail."""
        note = note.strip()
        if status is not None and status not in CONTACT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CONTACT_STATUSES)}")
        if len(note) > 2000:
            raise ValueError("note: at most 2000 characters")
        changed = status is not None and status != row.status
        if not changed and not note:
            raise ValueError("nothing to record: choose a new status or write a note")
        event = ContactEvent(
            request_id=row.id,
            at=now,
            user_id=user_id,
            username=username,
            action="status" if changed else "note",
            from_status=row.status if changed else None,
            to_status=status if changed else None,
            note_enc=self.engage.cipher.encrypt_opt(note),
        )
        if changed and status is not None:
            row.status = status
            row.closed_at = now if status in CLOSED_STATUSES else None
        row.updated_at = now
        self.db.add(event)
        self.db.flush()


# ------------------------------------------------------------------ mails


def confirmation_mail(data: ContactInput, *, nct_id: str, title: str, site: str, days: int) -> Mail:
    body = (
        f"Hello {data.name},\n\n"
        f"we passed your request to the study team of\n  {site}\n"
        f"for the trial {nct_id}: {title}.\n\n"
        "What happens next?\n"
        "  - You can expect the study team to contact you via email or phone in the next few "
        "days" + (f" ({data.preferred_time})" if data.preferred_time != "any" else "") + ".\n"
        "  - They will check with you whether the trial could fit and answer your questions.\n"
        "  - Nothing is decided by this request; you can withdraw at any time.\n\n"
        f"We keep your request, encrypted, until {days} days after the study team closes it.\n"
    )
    return Mail(to=data.email, subject=f"Your request about trial {nct_id}", body=body)


def coordinator_mail(to: str, *, request_id: int, nct_id: str, site: str, inbox_url: str) -> Mail:
    """No personal data in the notice: the coordinator reads the request in the inbox."""
    body = (
        f"A new contact request (#{request_id}) for trial {nct_id} at\n  {site}\n"
        f"is waiting in the workspace inbox:\n  {inbox_url}\n"
    )
    return Mail(to=to, subject=f"New contact request for {nct_id}", body=body)


def queue_contact_mails(
    db: Session,
    engage: Engage,
    row: ContactRequest,
    data: ContactInput,
    *,
    title: str,
    site: Site,
    base_url: str,
    now: datetime,
) -> int:
    """Queue the visitor's confirmation and the coordinators' notices; returns how many."""
    outbox = Outbox(db, engage.cipher)
    n = 0
    if data.email:
        outbox.queue(
            confirmation_mail(
                data,
                nct_id=row.nct_id,
                title=title,
                site=row.site_label,
                days=engage.settings.retention_days,
            ),
            kind="contact_confirmation",
            now=now,
            contact_request_id=row.id,
        )
        n += 1
    registry = site.contact_email if engage.settings.notify_registry_contacts else None
    recipients = [a for a in (registry, engage.settings.contact_notify_email) if a]
    for address in dict.fromkeys(recipients):
        outbox.queue(
            coordinator_mail(
                address,
                request_id=row.id,
                nct_id=row.nct_id,
                site=row.site_label,
                inbox_url=engage.link(base_url, f"/workspace/inbox/{row.id}"),
            ),
            kind="contact_notice",
            now=now,
            contact_request_id=row.id,
        )
        n += 1
    return n
