"""Rate limits on public forms, counted in the database (every worker sees the same counts)
under keyed hashes of the IP address or email address — never the values themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cartrial.engage.crypto import FieldCipher
from cartrial.persistence.engage_models import RateEvent


class RateLimited(Exception):
    """Too many submissions; the message says which limit and when to retry."""


class RateLimiter:
    def __init__(self, db: Session, cipher: FieldCipher) -> None:
        self.db = db
        self.cipher = cipher

    def check_and_count(
        self,
        kind: str,
        value: str,
        *,
        limit: int,
        window: timedelta,
        now: datetime,
        what: str,
    ) -> None:
        """Count one event for ``value``; refuse when ``limit`` were already counted."""
        key = self.cipher.lookup_key(f"rate:{kind}", value)
        self.db.execute(delete(RateEvent).where(RateEvent.at < now - window * 4))
        used = self.db.scalar(
            select(func.count())
            .select_from(RateEvent)
            .where(RateEvent.kind == kind, RateEvent.key == key, RateEvent.at >= now - window)
        )
        if int(used or 0) >= limit:
            hours = window.total_seconds() / 3600
            span = f"{hours:g} hour" + ("s" if hours != 1 else "")
            raise RateLimited(
                f"Too many requests from {what}: at most {limit} in {span}. Please try later."
            )
        self.db.add(RateEvent(kind=kind, key=key, at=now))
        self.db.flush()
