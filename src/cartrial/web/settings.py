"""Settings of the web application, read from the environment (pydantic-settings).

Every name can be given with the ``CARTRIAL_`` prefix; the usual deployment names
``DATABASE_URL``, ``SECRET_KEY``, ``MAX_BUNDLE_BYTES`` and ``SESSION_COOKIE_SECURE`` are read too.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"CARTRIAL_{name.upper()}", name.upper())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///var/cartrial.db", validation_alias=_env("database_url"))
    secret_key: SecretStr | None = Field(None, validation_alias=_env("secret_key"))
    var_dir: Path = Field(Path("var"), validation_alias=_env("var_dir"))
    max_bundle_bytes: int = Field(5_000_000, gt=0, validation_alias=_env("max_bundle_bytes"))
    session_cookie_secure: bool = Field(
        False,
        validation_alias=_env("session_cookie_secure"),
        description="always mark the session cookie Secure (it is anyway when the request came "
        "over HTTPS or a proxy says so with X-Forwarded-Proto: https)",
    )
    session_max_age_seconds: int = Field(
        8 * 3600,
        gt=0,
        validation_alias=_env("session_max_age_seconds"),
        description="absolute lifetime of a browser session (seconds since sign-in)",
    )
    session_idle_seconds: int = Field(
        30 * 60,
        gt=0,
        validation_alias=_env("session_idle_seconds"),
        description="a browser session unused for this long (seconds) has ended",
    )
    login_max_attempts: int = Field(
        5,
        gt=0,
        validation_alias=_env("login_max_attempts"),
        description="failed sign-ins for one username within the window before it is refused",
    )
    login_window_seconds: int = Field(
        15 * 60,
        gt=0,
        validation_alias=_env("login_window_seconds"),
        description="the window (seconds) in which failed sign-ins are counted",
    )
    login_max_attempts_per_address: int = Field(
        30,
        gt=0,
        validation_alias=_env("login_max_attempts_per_address"),
        description="failed sign-ins from one client address (any usernames) within the window "
        "before it is refused",
    )
    trust_forwarded_for: bool = Field(
        False,
        validation_alias=_env("trust_forwarded_for"),
        description="take the client address from X-Forwarded-For (only behind a proxy that "
        "sets it)",
    )
    argon2_time_cost: int = Field(3, ge=1, validation_alias=_env("argon2_time_cost"))
    argon2_memory_kib: int = Field(65536, ge=8, validation_alias=_env("argon2_memory_kib"))
    argon2_parallelism: int = Field(4, ge=1, validation_alias=_env("argon2_parallelism"))
    max_json_depth: int = Field(
        100,
        ge=8,
        validation_alias=_env("max_json_depth"),
        description="deepest nesting of arrays/objects accepted in a JSON body",
    )
    max_json_number_chars: int = Field(
        50,
        ge=20,
        validation_alias=_env("max_json_number_chars"),
        description="longest number (characters) accepted in a JSON body",
    )
    admin_username: str = Field("admin", validation_alias=_env("admin_username"))
    admin_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("admin_password", "CARTRIAL_ADMIN_PASSWORD")
    )
    seed_demo: bool = Field(True, validation_alias=_env("seed_demo"))
    migrate_on_start: bool = Field(True, validation_alias=_env("migrate_on_start"))
    gc_freeze: bool = Field(
        True,
        validation_alias=_env("gc_freeze"),
        description="freeze start-up objects out of the cyclic GC",
    )
    trials_dir: Path | None = Field(None, validation_alias=_env("trials_dir"))
    examples_dir: Path | None = Field(None, validation_alias=_env("examples_dir"))

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or one generated once and kept in ``var_dir/secret_key`` (mode 0600)."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if path.is_file():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
        return key
