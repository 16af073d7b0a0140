"""What every engage operation needs: its settings, the field cipher, the app secret and the
passcode hasher — built once per app (or CLI run) and passed in, never a global."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import URLSafeSerializer
from sqlalchemy.orm import Session, sessionmaker

from cartrial.engage.crypto import FieldCipher
from cartrial.engage.mail import Sender, SendReport, send_pending
from cartrial.engage.settings import EngageSettings


@dataclass
class Engage:
    settings: EngageSettings
    secret: str
    cipher: FieldCipher = field(init=False)
    hasher: PasswordHasher = field(init=False)

    def __post_init__(self) -> None:
        key = self.settings.encryption_key
        self.cipher = FieldCipher(self.secret, key.get_secret_value() if key else None)
        self.hasher = PasswordHasher(
            time_cost=self.settings.passcode_time_cost,
            memory_cost=self.settings.passcode_memory_kib,
            parallelism=1,
        )

    def signer(self, salt: str) -> URLSafeSerializer:
        """Signs link payloads; expiry, where a link has one, is checked against the caller's
        clock (an issued-at field in the payload), not the process clock."""
        return URLSafeSerializer(self.secret, salt=f"cartrial-engage-{salt}")

    def hash_passcode(self, passcode: str) -> str:
        return self.hasher.hash(passcode)

    def verify_passcode(self, passcode_hash: str, passcode: str) -> bool:
        try:
            return self.hasher.verify(passcode_hash, passcode)
        except (VerificationError, InvalidHashError):
            return False

    def send_pending(
        self, sessions: sessionmaker[Session], *, now: datetime, sender: Sender | None = None
    ) -> SendReport:
        return send_pending(sessions, self.cipher, self.settings, now=now, sender=sender)

    def link(self, base_url: str | None, path: str) -> str:
        base = (base_url or self.settings.public_base_url).rstrip("/")
        return base + path
