"""Field encryption at rest (Fernet) and keyed hashes for lookups.

What is encrypted and why: the database may be shared (a hospital PostgreSQL, backups, replicas
read by DBAs who are not on the study team), so every value a visitor or volunteer typed about
themselves is stored as a Fernet token (AES-128-CBC + HMAC-SHA256, authenticated): contact
name, email, phone, message and coordinator notes; the volunteer's email and profile
(conditions, age, city, travel distance); note texts; and the outbox messages (which quote
them). Rows that must be *found* by an address (rate limits, export, one volunteer per address)
carry an HMAC-SHA256 of the normalised address under a key derived from the same secret, so
the table never holds the address in clear and a dump cannot be matched against a list of
addresses without the key.

The key: ``ENCRYPTION_KEY`` (one or more Fernet keys, comma-separated, newest first, so keys can
be rotated) or, when unset, one derived from ``SECRET_KEY`` with HKDF-SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(RuntimeError):
    """A stored value could not be decrypted: the key changed or the row was tampered with."""


def derive_key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cartrial-engage", info=purpose).derive(
        secret.encode("utf-8")
    )


class FieldCipher:
    """Encrypts/decrypts single fields; computes keyed lookup hashes."""

    def __init__(self, secret: str, fernet_keys: str | None = None) -> None:
        if fernet_keys:
            keys = [Fernet(k.strip().encode("ascii")) for k in fernet_keys.split(",") if k.strip()]
        else:
            keys = [Fernet(base64.urlsafe_b64encode(derive_key(secret, b"field encryption")))]
        self._fernet = MultiFernet(keys)
        self._hmac_key = derive_key(secret, b"lookup hash")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DecryptionError(
                "a stored value could not be decrypted (was ENCRYPTION_KEY or SECRET_KEY changed?)"
            ) from None

    def encrypt_opt(self, value: str | None) -> str | None:
        return None if value is None or value == "" else self.encrypt(value)

    def decrypt_opt(self, token: str | None) -> str:
        return "" if not token else self.decrypt(token)

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def lookup_key(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of a normalised value (trimmed, case-folded) for ``kind``."""
        normalised = value.strip().casefold().encode("utf-8")
        return hmac.new(
            self._hmac_key, kind.encode() + b":" + normalised, hashlib.sha256
        ).hexdigest()


def email_key(cipher: FieldCipher, email: str) -> str:
    return cipher.lookup_key("email", email)


def sha256_hex(value: str) -> str:
    """For random bearer secrets (share tokens, cookies): no key needed, they cannot be guessed."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
