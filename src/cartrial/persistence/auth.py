"""Password hashing (argon2id), API tokens (random, stored as SHA-256), session ids and the
keyed hashes under which failed sign-ins are counted."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "ctk_"


@dataclass(frozen=True)
class HashProfile:
    """argon2id cost parameters. The default is argon2-cffi's (RFC 9106 "second recommended
    option": t=3, 64 MiB, p=4); tests inject a cheap profile through the settings."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


STRONG = HashProfile()
_profile: list[HashProfile] = [STRONG]


def use_profile(profile: HashProfile) -> None:
    """Hash new passwords with ``profile`` (set once at application start from the settings).

    Existing hashes keep verifying whatever their parameters; a sign-in rehashes a password
    whose parameters differ from the profile in use.
    """
    _profile[0] = profile


@cache
def _hasher_for(profile: HashProfile) -> PasswordHasher:
    return PasswordHasher(
        time_cost=profile.time_cost,
        memory_cost=profile.memory_kib,
        parallelism=profile.parallelism,
    )


def _hasher() -> PasswordHasher:
    return _hasher_for(_profile[0])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(profile: HashProfile) -> str:
    return _hasher_for(profile).hash("not-a-real-password")


def dummy_hash() -> str:
    """Verified against when the user does not exist: a wrong username costs as much time as
    a wrong password."""
    return _dummy_hash(_profile[0])


def username_key(username: str) -> str:
    """The identity of a username: trimmed, NFKC-normalised and case-folded ("VERA" = "vera")."""
    return unicodedata.normalize("NFKC", username.strip()).casefold()


def new_token() -> str:
    """A fresh bearer token; shown once, only its hash is kept."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_session_key() -> str:
    """A browser session id (256 random bits); the cookie holds it, the table its hash."""
    return secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def login_key(secret: str, username: str) -> str:
    """The keyed hash under which failed sign-ins for ``username`` are counted.

    HMAC-SHA256 with the app's secret key over the trimmed, case-folded name: the same for an
    existing and an unknown user, and what was typed (perhaps a password) is never stored.
    """
    name = username_key(username).encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode("utf-8"), b"login:" + name, hashlib.sha256).hexdigest()


def address_key(secret: str, address: str) -> str:
    """The keyed hash under which failed sign-ins from one client address are counted."""
    addr = address.strip().encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode("utf-8"), b"addr:" + addr, hashlib.sha256).hexdigest()
