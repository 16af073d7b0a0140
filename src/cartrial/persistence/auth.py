"""Password hashing (argon2id) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "ctk_"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def new_token() -> str:
    """A fresh bearer token; shown once, only its hash is kept."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


def login_key(secret: str, username: str) -> str:
    """The keyed hash under which failed sign-ins for ``username`` are counted.

    HMAC-SHA256 with the app's secret key over the trimmed, case-folded name: the same for an
    existing and an unknown user, and what was typed (perhaps a password) is never stored.
    """
    name = username.strip().casefold().encode("utf-8")
    return hmac.new(secret.encode("utf-8"), b"login:" + name, hashlib.sha256).hexdigest()
