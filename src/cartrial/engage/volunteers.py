"""Volunteers: sign-up with double opt-in, their own view/change/delete, one-click unsubscribe.

Links in mails are signed (itsdangerous) over the volunteer id and a random per-volunteer
secret (stored only as its SHA-256): the confirmation link expires; the manage and unsubscribe
links last as long as the volunteer does. Everything the volunteer told us is one encrypted
profile; deleting the volunteer deletes the row, its alert history and its queued mail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from itsdangerous import BadSignature
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cartrial.engage.contact import check_email
from cartrial.engage.crypto import email_key, sha256_hex
from cartrial.engage.geo import country_code, find_city
from cartrial.engage.mail import Mail, Outbox
from cartrial.engage.service import Engage
from cartrial.persistence.engage_models import AlertSent, OutboxMessage, Volunteer


class LinkError(ValueError):
    """A volunteer link that is invalid, expired or revoked; the message says which."""


class VolunteerInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=320)
    conditions: list[str] = Field(min_length=1, max_length=20)
    age: int = Field(ge=0, le=120)
    country: str = Field(min_length=2, max_length=100)
    city: str = Field(min_length=1, max_length=100)
    travel_km: int | None = Field(None, ge=1, le=20000)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return check_email(v)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if country_code(v) is None:
            raise ValueError(f"{v!r} is not a country name or ISO code the gazetteer knows")
        return v


@dataclass(frozen=True)
class Profile:
    email: str
    conditions: list[str]
    age: int
    age_on: date
    country: str
    city: str
    latitude: float
    longitude: float
    travel_km: int | None

    def age_at(self, when: date) -> int:
        years = (
            when.year
            - self.age_on.year
            - ((when.month, when.day) < (self.age_on.month, self.age_on.day))
        )
        return self.age + max(years, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "conditions": self.conditions,
            "age": self.age,
            "age_on": self.age_on.isoformat(),
            "country": self.country,
            "city": self.city,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "travel_km": self.travel_km,
        }


def _profile(data: VolunteerInput, known_conditions: set[str], today: date) -> Profile:
    unknown = [c for c in data.conditions if c not in known_conditions]
    if unknown:
        raise ValueError(f"conditions: unknown condition(s) {', '.join(unknown)}")
    place = find_city(data.city, data.country)
    if place is None:
        raise ValueError(
            f"city: {data.city!r} is not in the gazetteer for {data.country} "
            "(towns of 15 000+ inhabitants): give the nearest larger town"
        )
    return Profile(
        email=data.email,
        conditions=sorted(set(data.conditions)),
        age=data.age,
        age_on=today,
        country=data.country,
        city=place.name,
        latitude=round(place.latitude, 4),
        longitude=round(place.longitude, 4),
        travel_km=data.travel_km,
    )


class Volunteers:
    """Repository of volunteers (never commits)."""

    def __init__(self, db: Session, engage: Engage) -> None:
        self.db = db
        self.engage = engage

    # ---- links
    def _token(self, v: Volunteer, salt: str, now: datetime | None = None) -> str:
        payload: dict[str, Any] = {"v": v.id, "k": v.manage_hash[:16]}
        if now is not None:
            payload["t"] = int(now.timestamp())
        return str(self.engage.signer(salt).dumps(payload))

    def link(
        self, v: Volunteer, kind: str, base_url: str | None, now: datetime | None = None
    ) -> str:
        """A signed link; ``confirm`` links carry their issue time (``now``) and expire."""
        paths = {
            "confirm": "/volunteer/confirm/",
            "manage": "/volunteer/manage/",
            "unsubscribe": "/volunteer/unsubscribe/",
        }
        if kind == "confirm" and now is None:
            raise ValueError("a confirmation link needs its issue time")
        return self.engage.link(base_url, paths[kind] + self._token(v, kind, now))

    def from_token(self, token: str, salt: str, now: datetime | None = None) -> Volunteer:
        try:
            data = self.engage.signer(salt).loads(token)
        except BadSignature:
            raise LinkError("This link is not valid.") from None
        if not isinstance(data, dict):
            raise LinkError("This link is not valid.")
        if salt == "confirm":
            issued = data.get("t")
            max_age = self.engage.settings.confirm_max_age_seconds
            if now is None or not isinstance(issued, int) or now.timestamp() - issued > max_age:
                raise LinkError("This confirmation link has expired: please sign up again.")
        v = self.db.get(Volunteer, data.get("v"))
        if v is None or v.manage_hash[:16] != data.get("k"):
            raise LinkError("This link is no longer valid (the sign-up was changed or deleted).")
        return v

    # ---- profile
    def profile(self, v: Volunteer) -> Profile:
        c = self.engage.cipher
        p = c.decrypt_json(v.profile_enc)
        return Profile(
            email=c.decrypt(v.email_enc),
            conditions=list(p["conditions"]),
            age=int(p["age"]),
            age_on=date.fromisoformat(p["age_on"]),
            country=p["country"],
            city=p["city"],
            latitude=float(p["latitude"]),
            longitude=float(p["longitude"]),
            travel_km=p["travel_km"],
        )

    def by_email(self, email: str) -> Volunteer | None:
        return self.db.scalar(
            select(Volunteer).where(Volunteer.email_key == email_key(self.engage.cipher, email))
        )

    def confirmed(self) -> list[Volunteer]:
        return list(
            self.db.scalars(
                select(Volunteer).where(Volunteer.status == "confirmed").order_by(Volunteer.id)
            ).all()
        )

    def sign_up(
        self,
        data: VolunteerInput,
        *,
        known_conditions: set[str],
        today: date,
        now: datetime,
        base_url: str | None,
    ) -> Volunteer:
        """Create (or, for a known address, re-confirm) and queue the confirmation mail.

        The answer is the same whether the address was known or not (no account probing).
        A confirmed volunteer's details are never changed here (they get their manage link);
        an unconfirmed or unsubscribed sign-up gets the new details and a new confirmation
        link (its earlier links stop working), and stays without alerts until it is used.
        """
        profile = _profile(data, known_conditions, today)
        c = self.engage.cipher
        v = self.by_email(data.email)
        if v is None:
            v = Volunteer(
                email_key=email_key(c, data.email),
                email_enc=c.encrypt(data.email),
                profile_enc=c.encrypt_json(profile.as_json()),
                status="pending",
                manage_hash=sha256_hex(secrets.token_urlsafe(32)),
                created_at=now,
            )
            self.db.add(v)
            self.db.flush()
        elif v.status != "confirmed":
            v.profile_enc = c.encrypt_json(profile.as_json())
            v.manage_hash = sha256_hex(secrets.token_urlsafe(32))
            self.db.flush()
        body = (
            "Hello,\n\nplease confirm your volunteer sign-up for new CAR-cell therapy trials "
            "that could fit you:\n  "
            + self.link(v, "confirm", base_url, now)
            + "\n\nThe link is valid for "
            + f"{self.engage.settings.confirm_max_age_seconds // 3600} hours. "
            "If you did not sign up, ignore this email: nothing will be sent again.\n\n"
            "See, change or delete what we keep about you:\n  "
            + self.link(v, "manage", base_url)
            + "\n"
        )
        if v.status == "confirmed":
            body = (
                "Hello,\n\nyou are already signed up as a volunteer. To see or change your "
                "details, or to delete them:\n  " + self.link(v, "manage", base_url) + "\n"
            )
        body += "\nUnsubscribe (one click): " + self.link(v, "unsubscribe", base_url) + "\n"
        Outbox(self.db, c).queue(
            Mail(
                to=data.email,
                subject="Confirm your volunteer sign-up",
                body=body,
                headers=self.unsubscribe_headers(v, base_url),
            ),
            kind="volunteer_confirm",
            now=now,
            volunteer_id=v.id,
        )
        return v

    def confirm(self, v: Volunteer, now: datetime) -> None:
        if v.status != "confirmed":
            v.status = "confirmed"
            v.confirmed_at = now
            v.unsubscribed_at = None
            self.db.flush()

    def update(
        self, v: Volunteer, data: VolunteerInput, *, known_conditions: set[str], today: date
    ) -> None:
        c = self.engage.cipher
        profile = _profile(data, known_conditions, today)
        if email_key(c, data.email) != v.email_key:
            raise ValueError("email: to use another address, delete this sign-up and sign up again")
        v.profile_enc = c.encrypt_json(profile.as_json())
        self.db.flush()

    def unsubscribe(self, v: Volunteer, now: datetime) -> None:
        v.status = "unsubscribed"
        v.unsubscribed_at = now
        self.db.execute(
            delete(OutboxMessage).where(
                OutboxMessage.volunteer_id == v.id, OutboxMessage.status == "pending"
            )
        )
        self.db.flush()

    def delete(self, v: Volunteer) -> None:
        """Gone: the row, its alert history and every mail queued or sent to it."""
        self.db.execute(delete(AlertSent).where(AlertSent.volunteer_id == v.id))
        self.db.execute(
            delete(OutboxMessage).where(
                (OutboxMessage.volunteer_id == v.id) | (OutboxMessage.to_key == v.email_key)
            )
        )
        self.db.delete(v)
        self.db.flush()

    def alerted(self, v: Volunteer) -> list[tuple[str, datetime]]:
        rows = self.db.execute(
            select(AlertSent.nct_id, AlertSent.sent_at)
            .where(AlertSent.volunteer_id == v.id)
            .order_by(AlertSent.id)
        ).all()
        return [(str(r[0]), r[1]) for r in rows]

    def unsubscribe_headers(self, v: Volunteer, base_url: str | None) -> dict[str, str]:
        """RFC 8058 one-click unsubscribe (mail clients POST to the link)."""
        one_click = self.engage.link(
            base_url, "/api/v1/volunteers/unsubscribe/" + self._token(v, "unsubscribe")
        )
        return {
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
