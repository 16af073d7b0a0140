"""Settings of the engage area (mail, retention, limits), read from the environment.

Kept apart from ``cartrial.web.settings`` so that the CLI (``cartrial mail``, ``cartrial alerts``)
and the web app read the same names: ``SMTP_URL``, ``MAIL_FROM``, ``PUBLIC_BASE_URL``,
``CONTACT_NOTIFY_EMAIL``, ``RETENTION_DAYS`` ... (each also with the ``CARTRIAL_`` prefix).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"CARTRIAL_{name.upper()}", name.upper())


class EngageSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    smtp_url: SecretStr | None = Field(
        None,
        validation_alias=_env("smtp_url"),
        description="smtp://user:pass@host:587?starttls=1 or smtps://host:465; unset = mail "
        "stays in the outbox (shown to administrators in the workspace)",
    )
    mail_from: str = Field("cartrial <no-reply@localhost>", validation_alias=_env("mail_from"))
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=_env("public_base_url"),
        description="where links in emails point when no request is at hand (cron jobs)",
    )
    contact_notify_email: str | None = Field(
        None,
        validation_alias=_env("contact_notify_email"),
        description="address told of every new contact request (besides the site's own "
        "contact address from the registry)",
    )
    notify_registry_contacts: bool = Field(
        True,
        validation_alias=_env("notify_registry_contacts"),
        description="also notify the site's contact address from the registry record",
    )
    encryption_key: SecretStr | None = Field(
        None,
        validation_alias=_env("encryption_key"),
        description="Fernet key(s), comma-separated, newest first; unset = derived from SECRET_KEY",
    )
    retention_days: int = Field(
        180,
        gt=0,
        validation_alias=_env("retention_days"),
        description="contact requests are deleted this many days after they were closed",
    )
    sent_mail_retention_days: int = Field(
        30, gt=0, validation_alias=_env("sent_mail_retention_days")
    )
    unconfirmed_volunteer_days: int = Field(
        7, gt=0, validation_alias=_env("unconfirmed_volunteer_days")
    )
    confirm_max_age_seconds: int = Field(
        48 * 3600, gt=0, validation_alias=_env("confirm_max_age_seconds")
    )
    mail_max_attempts: int = Field(10, gt=0, validation_alias=_env("mail_max_attempts"))
    mail_backoff_seconds: int = Field(60, gt=0, validation_alias=_env("mail_backoff_seconds"))
    mail_backoff_max_seconds: int = Field(
        6 * 3600, gt=0, validation_alias=_env("mail_backoff_max_seconds")
    )
    smtp_timeout_seconds: float = Field(10.0, gt=0, validation_alias=_env("smtp_timeout_seconds"))
    contact_per_ip_per_hour: int = Field(5, gt=0, validation_alias=_env("contact_per_ip_per_hour"))
    contact_per_address_per_day: int = Field(
        3, gt=0, validation_alias=_env("contact_per_address_per_day")
    )
    share_max_attempts: int = Field(5, gt=0, validation_alias=_env("share_max_attempts"))
    share_lock_seconds: int = Field(
        300,
        gt=0,
        validation_alias=_env("share_lock_seconds"),
        description="first lock after too many wrong passcodes; doubles with every lock",
    )
    share_max_days: int = Field(90, gt=0, validation_alias=_env("share_max_days"))
    passcode_time_cost: int = Field(3, gt=0, validation_alias=_env("passcode_time_cost"))
    passcode_memory_kib: int = Field(65536, ge=8, validation_alias=_env("passcode_memory_kib"))
