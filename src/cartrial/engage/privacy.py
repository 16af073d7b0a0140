"""Retention and access: the purge of what is no longer needed, and the export of everything
held about one email address (mailed to that address only, so only its owner reads it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cartrial.engage.contact import ContactRequests
from cartrial.engage.crypto import email_key
from cartrial.engage.mail import Mail, Outbox
from cartrial.engage.service import Engage
from cartrial.engage.volunteers import Volunteers
from cartrial.persistence.engage_models import (
    CLOSED_STATUSES,
    ContactRequest,
    OutboxMessage,
    RateEvent,
    ShareLink,
    Volunteer,
)


@dataclass
class PurgeReport:
    contact_requests: int = 0
    sent_mail: int = 0
    unconfirmed_volunteers: int = 0
    expired_shares: int = 0
    rate_events: int = 0


def purge(db: Session, engage: Engage, *, now: datetime) -> PurgeReport:
    """Delete closed requests after ``RETENTION_DAYS``, sent/failed mail after
    ``SENT_MAIL_RETENTION_DAYS``, sign-ups never confirmed after ``UNCONFIRMED_VOLUNTEER_DAYS``,
    share links expired or revoked for 30 days, rate-limit counts older than a day."""
    s = engage.settings
    r = PurgeReport()
    old_requests = db.scalars(
        select(ContactRequest.id).where(
            ContactRequest.status.in_(CLOSED_STATUSES),
            ContactRequest.closed_at < now - timedelta(days=s.retention_days),
        )
    ).all()
    if old_requests:
        db.execute(delete(OutboxMessage).where(OutboxMessage.contact_request_id.in_(old_requests)))
        r.contact_requests = db.execute(
            delete(ContactRequest).where(ContactRequest.id.in_(old_requests))
        ).rowcount  # type: ignore[attr-defined]
    r.sent_mail = db.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed")),
            OutboxMessage.created_at < now - timedelta(days=s.sent_mail_retention_days),
        )
    ).rowcount  # type: ignore[attr-defined]
    stale = db.scalars(
        select(Volunteer).where(
            Volunteer.status == "pending",
            Volunteer.created_at < now - timedelta(days=s.unconfirmed_volunteer_days),
        )
    ).all()
    repo = Volunteers(db, engage)
    for v in stale:
        repo.delete(v)
    r.unconfirmed_volunteers = len(stale)
    cutoff = now - timedelta(days=30)
    r.expired_shares = db.execute(
        delete(ShareLink).where((ShareLink.expires_at < cutoff) | (ShareLink.revoked_at < cutoff))
    ).rowcount  # type: ignore[attr-defined]
    r.rate_events = db.execute(
        delete(RateEvent).where(RateEvent.at < now - timedelta(days=1))
    ).rowcount  # type: ignore[attr-defined]
    db.flush()
    return r


def export_for(db: Session, engage: Engage, email: str) -> dict[str, Any]:
    """Everything held about ``email``: contact requests (with their trail), the volunteer
    sign-up and the mail queued to it."""
    key = email_key(engage.cipher, email)
    contacts = ContactRequests(db, engage)
    requests = []
    for row in db.scalars(select(ContactRequest).where(ContactRequest.email_key == key)).all():
        v = contacts.view(row)
        requests.append(
            {
                "id": v.id,
                "trial": v.nct_id,
                "site": v.site_label,
                "status": v.status,
                "name": v.name,
                "email": v.email,
                "phone": v.phone,
                "language": v.language,
                "preferred_time": v.preferred_time,
                "message": v.message,
                "prescreening_summary": v.summary,
                "consent_version": v.consent_version,
                "consent_text": v.consent_text,
                "created_at": v.created_at.isoformat(),
                "history": [
                    {"at": e.at.isoformat(), "action": e.action, "to_status": e.to_status}
                    for e in contacts.events(row)
                ],
            }
        )
    vols = Volunteers(db, engage)
    volunteer = None
    found = vols.by_email(email)
    if found is not None:
        p = vols.profile(found)
        volunteer = {
            "email": p.email,
            **p.as_json(),
            "status": found.status,
            "created_at": found.created_at.isoformat(),
            "confirmed_at": found.confirmed_at.isoformat() if found.confirmed_at else None,
            "alerted_about": [nct for nct, _ in vols.alerted(found)],
        }
    outbox = Outbox(db, engage.cipher)
    mails = [
        {
            "kind": m.kind,
            "status": m.status,
            "created_at": m.created_at.isoformat(),
            "subject": outbox.mail_of(m).subject,
        }
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.to_key == key)).all()
    ]
    return {"email": email, "contact_requests": requests, "volunteer": volunteer, "mail": mails}


def queue_export(db: Session, engage: Engage, email: str, *, now: datetime) -> None:
    """Mail the export to the address itself (the same answer whether anything is held)."""
    data = export_for(db, engage, email)
    body = (
        "Hello,\n\nthis is everything cartrial holds about this email address (JSON):\n\n"
        + json.dumps(data, indent=2, ensure_ascii=False)
        + "\n"
    )
    Outbox(db, engage.cipher).queue(
        Mail(to=email, subject="Your data held by cartrial", body=body), kind="export", now=now
    )
