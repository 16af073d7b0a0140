"""Private notes on trial pages and passcode-protected share links.

A notebook belongs to a signed-in user or to an anonymous visitor's unguessable cookie key
(stored as its SHA-256). Note texts are encrypted; the quoted passage (public protocol text)
is kept in clear with its prefix and suffix for re-anchoring. A share link is a random token
(256 bits, stored as SHA-256) and a passcode (stored only as an argon2id hash); it can expire
and be revoked, and wrong passcodes lock it after ``SHARE_MAX_ATTEMPTS`` tries for
``SHARE_LOCK_SECONDS``, doubling with every further lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.engage.crypto import sha256_hex
from cartrial.engage.service import Engage
from cartrial.persistence.engage_models import Note, Notebook, ShareLink, ShareNote

MAX_EXACT = 2000
MAX_CONTEXT = 200
MAX_BODY = 5000
MIN_PASSCODE = 6
MAX_PASSCODE = 128
PASSCODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Generated passcodes: no 0/o, 1/l/i to misread."""


class NoteError(ValueError):
    """Bad note or share input; the message names the field."""


@dataclass(frozen=True)
class NoteView:
    id: int
    nct_id: str
    exact: str
    prefix: str
    suffix: str
    body: str
    created_at: datetime
    protocol_version: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nct_id": self.nct_id,
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
            "protocol_version": self.protocol_version,
        }


@dataclass(frozen=True)
class ShareOutcome:
    status: str
    """``ok``, ``wrong``, ``locked`` or ``gone`` (unknown, expired or revoked)."""
    notes: list[NoteView]
    share: ShareLink | None = None
    remaining: int = 0
    locked_until: datetime | None = None


def new_passcode(length: int = 10) -> str:
    return "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(length))


class Notes:
    """Repository of notebooks, notes and share links (never commits)."""

    def __init__(self, db: Session, engage: Engage) -> None:
        self.db = db
        self.engage = engage

    # ---- notebooks
    def notebook(
        self, *, user_id: int | None, cookie_key: str | None, create: bool
    ) -> Notebook | None:
        if user_id is not None:
            nb = self.db.scalar(select(Notebook).where(Notebook.user_id == user_id))
            if nb is None and create:
                nb = Notebook(user_id=user_id)
        elif cookie_key:
            nb = self.db.scalar(select(Notebook).where(Notebook.key_hash == sha256_hex(cookie_key)))
            if nb is None and create:
                nb = Notebook(key_hash=sha256_hex(cookie_key))
        else:
            return None
        if nb is not None and nb.id is None:
            self.db.add(nb)
            self.db.flush()
        return nb

    # ---- notes
    def view(self, n: Note) -> NoteView:
        return NoteView(
            n.id,
            n.nct_id,
            n.exact,
            n.prefix,
            n.suffix,
            self.engage.cipher.decrypt(n.body_enc),
            n.created_at,
            n.protocol_version,
        )

    def add(
        self,
        nb: Notebook,
        *,
        nct_id: str,
        exact: str,
        prefix: str,
        suffix: str,
        body: str,
        protocol_version: str,
        now: datetime,
    ) -> Note:
        if not exact.strip():
            raise NoteError("exact: select a piece of the trial text first")
        if len(exact) > MAX_EXACT:
            raise NoteError(f"exact: a selection is limited to {MAX_EXACT} characters")
        if len(prefix) > MAX_CONTEXT or len(suffix) > MAX_CONTEXT:
            raise NoteError(f"prefix/suffix: at most {MAX_CONTEXT} characters each")
        body = body.strip()
        if not body:
            raise NoteError("body: write the note")
        if len(body) > MAX_BODY:
            raise NoteError(f"body: a note is limited to {MAX_BODY} characters")
        note = Note(
            notebook_id=nb.id,
            nct_id=nct_id,
            exact=exact,
            prefix=prefix,
            suffix=suffix,
            body_enc=self.engage.cipher.encrypt(body),
            protocol_version=protocol_version[:64],
            created_at=now,
            updated_at=now,
        )
        self.db.add(note)
        self.db.flush()
        return note

    def of(self, nb: Notebook, nct_id: str | None = None) -> list[NoteView]:
        q = select(Note).where(Note.notebook_id == nb.id).order_by(Note.id)
        if nct_id is not None:
            q = q.where(Note.nct_id == nct_id)
        return [self.view(n) for n in self.db.scalars(q).all()]

    def get(self, nb: Notebook, note_id: int) -> Note | None:
        n = self.db.get(Note, note_id)
        return n if n is not None and n.notebook_id == nb.id else None

    def delete(self, note: Note) -> None:
        self.db.delete(note)
        self.db.flush()

    def export(self, nb: Notebook) -> dict[str, Any]:
        return {
            "format": "cartrial-notebook/1",
            "notes": [
                {
                    **n.as_json(),
                    "target": {
                        "source": f"/trials/{n.nct_id}",
                        "selector": {
                            "type": "TextQuoteSelector",
                            "exact": n.exact,
                            "prefix": n.prefix,
                            "suffix": n.suffix,
                        },
                    },
                }
                for n in self.of(nb)
            ],
        }

    # ---- share links
    def share(
        self,
        nb: Notebook,
        *,
        nct_id: str,
        passcode: str | None,
        expires_days: int | None,
        now: datetime,
    ) -> tuple[ShareLink, str, str]:
        """Share the notebook's current notes on ``nct_id``; returns (link, token, passcode)."""
        notes = self.db.scalars(
            select(Note).where(Note.notebook_id == nb.id, Note.nct_id == nct_id).order_by(Note.id)
        ).all()
        if not notes:
            raise NoteError("there are no notes on this trial to share yet")
        if passcode:
            if not MIN_PASSCODE <= len(passcode) <= MAX_PASSCODE:
                raise NoteError(
                    f"passcode: {MIN_PASSCODE}-{MAX_PASSCODE} characters (or leave it empty "
                    "and one is made for you)"
                )
        else:
            passcode = new_passcode()
        max_days = self.engage.settings.share_max_days
        if expires_days is not None and not 1 <= expires_days <= max_days:
            raise NoteError(f"expires_days: between 1 and {max_days}")
        token = secrets.token_urlsafe(32)  # 256 bits
        link = ShareLink(
            notebook_id=nb.id,
            nct_id=nct_id,
            token_hash=sha256_hex(token),
            passcode_hash=self.engage.hash_passcode(passcode),
            created_at=now,
            expires_at=now + timedelta(days=expires_days or max_days),
        )
        self.db.add(link)
        self.db.flush()
        for n in notes:
            self.db.add(ShareNote(share_id=link.id, note_id=n.id))
        self.db.flush()
        return link, token, passcode

    def shares(self, nb: Notebook, nct_id: str | None = None) -> Sequence[ShareLink]:
        q = select(ShareLink).where(ShareLink.notebook_id == nb.id).order_by(ShareLink.id)
        if nct_id is not None:
            q = q.where(ShareLink.nct_id == nct_id)
        return self.db.scalars(q).all()

    def revoke(self, nb: Notebook, share_id: int, now: datetime) -> bool:
        link = self.db.get(ShareLink, share_id)
        if link is None or link.notebook_id != nb.id:
            return False
        link.revoked_at = now
        self.db.flush()
        return True

    def by_token(self, token: str) -> ShareLink | None:
        return self.db.scalar(
            select(ShareLink).where(ShareLink.token_hash == sha256_hex(token)).with_for_update()
        )

    def live(self, link: ShareLink | None, now: datetime) -> bool:
        return (
            link is not None
            and link.revoked_at is None
            and (link.expires_at is None or link.expires_at > now)
        )

    def open_share(self, token: str, passcode: str, now: datetime) -> ShareOutcome:
        link = self.by_token(token)
        if link is None or not self.live(link, now):
            return ShareOutcome("gone", [])
        s = self.engage.settings
        if link.locked_until is not None and link.locked_until > now:
            return ShareOutcome("locked", [], link, locked_until=link.locked_until)
        if not self.engage.verify_passcode(link.passcode_hash, passcode):
            link.failed_attempts += 1
            if link.failed_attempts >= s.share_max_attempts:
                link.locks += 1
                link.failed_attempts = 0
                link.locked_until = now + timedelta(
                    seconds=s.share_lock_seconds * 2 ** (link.locks - 1)
                )
                self.db.flush()
                return ShareOutcome("locked", [], link, locked_until=link.locked_until)
            self.db.flush()
            return ShareOutcome(
                "wrong", [], link, remaining=s.share_max_attempts - link.failed_attempts
            )
        link.failed_attempts = 0
        link.locked_until = None
        self.db.flush()
        notes = self.db.scalars(
            select(Note)
            .join(ShareNote, ShareNote.note_id == Note.id)
            .where(ShareNote.share_id == link.id)
            .order_by(Note.id)
        ).all()
        return ShareOutcome("ok", [self.view(n) for n in notes], link)
