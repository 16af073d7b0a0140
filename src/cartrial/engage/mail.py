"""The mail outbox: messages are queued in the database in the request's transaction and sent
by a worker (``send_pending``: after each request, and ``cartrial mail send-pending`` for cron)
with retries and exponential backoff, so a mail-server outage delays mail but loses none.

Without ``SMTP_URL`` nothing is sent: messages wait in the outbox, where administrators see them
in the workspace (``/workspace/outbox``). Log lines name message ids, kinds and error types only,
never an address, subject or body.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cartrial.engage.crypto import FieldCipher, email_key
from cartrial.engage.settings import EngageSettings
from cartrial.persistence.engage_models import OutboxMessage

log = logging.getLogger("cartrial.engage.mail")

MAX_BODY_CHARS = 100_000


class MailError(ValueError):
    """A message that cannot be queued (no recipient, bad address); the message says which."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _name, addr = parseaddr(self.to)
        if "@" not in addr or any(c in self.to for c in "\r\n"):
            raise MailError("the recipient is not an email address")
        if any(c in self.subject for c in "\r\n"):
            raise MailError("a subject must be one line")
        if len(self.body) > MAX_BODY_CHARS:
            raise MailError(f"a message body is limited to {MAX_BODY_CHARS} characters")


class Outbox:
    """Repository of the outbox table (never commits)."""

    def __init__(self, db: Session, cipher: FieldCipher) -> None:
        self.db = db
        self.cipher = cipher

    def queue(
        self,
        mail: Mail,
        *,
        kind: str,
        now: datetime,
        volunteer_id: int | None = None,
        contact_request_id: int | None = None,
    ) -> OutboxMessage:
        row = OutboxMessage(
            kind=kind,
            to_key=email_key(self.cipher, parseaddr(mail.to)[1]),
            message_enc=self.cipher.encrypt_json(
                {"to": mail.to, "subject": mail.subject, "body": mail.body, "headers": mail.headers}
            ),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            volunteer_id=volunteer_id,
            contact_request_id=contact_request_id,
        )
        self.db.add(row)
        self.db.flush()
        return row

    def mail_of(self, row: OutboxMessage) -> Mail:
        data = self.cipher.decrypt_json(row.message_enc)
        return Mail(
            to=data["to"], subject=data["subject"], body=data["body"], headers=data["headers"]
        )

    def recent(self, limit: int = 200) -> Sequence[OutboxMessage]:
        return self.db.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        ).all()

    def pending_count(self) -> int:
        found = self.db.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
        return int(found or 0)


# ------------------------------------------------------------------ SMTP


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    """SMTP over TLS from the start (``smtps://``)."""
    starttls: bool


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://user:pass@host:587?starttls=1`` / ``smtps://host:465``; errors name the part."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL: the scheme must be smtp:// or smtps://, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("SMTP_URL: no host")
    query = parse_qs(parts.query)
    flag = (query.get("starttls") or ["0"])[0].lower()
    if flag not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError("SMTP_URL: starttls must be 1 or 0")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError:
        raise ValueError("SMTP_URL: the port is not a number") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        starttls=flag in ("1", "true", "yes"),
    )


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SmtpSender:
    """One connection for a batch, opened on the first message; a failed message drops it, so
    the next one starts on a fresh connection (failures stay per message)."""

    def __init__(self, config: SmtpConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._server: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        server: smtplib.SMTP
        if c.tls:
            server = smtplib.SMTP_SSL(c.host, c.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
        try:
            if c.starttls and not c.tls:
                server.starttls(context=context)
            if c.username:
                server.login(c.username, c.password or "")
        except BaseException:
            server.close()
            raise
        return server

    def send(self, message: EmailMessage) -> None:
        if self._server is None:
            self._server = self._connect()
        try:
            self._server.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()


def build_message(mail: Mail, mail_from: str, message_id_domain: str = "cartrial") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.body)
    return msg


def _error_label(exc: BaseException) -> str:
    """Type and SMTP code only: server replies may quote the recipient's address."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    configured: bool = True


def backoff(settings: EngageSettings, attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped."""
    seconds = settings.mail_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.mail_backoff_max_seconds))


def send_pending(
    sessions: sessionmaker[Session],
    cipher: FieldCipher,
    settings: EngageSettings,
    *,
    now: datetime,
    sender: Sender | None = None,
    limit: int = 200,
) -> SendReport:
    """Send the due messages, one transaction each (a crash never re-sends a sent message
    twice more than the one in flight)."""
    if sender is None:
        if settings.smtp_url is None or not settings.smtp_url.get_secret_value():
            return SendReport(configured=False)
        sender = SmtpSender(
            parse_smtp_url(settings.smtp_url.get_secret_value()), settings.smtp_timeout_seconds
        )
    try:
        return _send_due(sessions, cipher, settings, now=now, sender=sender, limit=limit)
    finally:
        sender.close()


def _send_due(
    sessions: sessionmaker[Session],
    cipher: FieldCipher,
    settings: EngageSettings,
    *,
    now: datetime,
    sender: Sender,
    limit: int,
) -> SendReport:
    report = SendReport()
    with sessions() as db:
        ids = db.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id in ids:
        with sessions.begin() as db:
            row = db.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                .with_for_update(skip_locked=True)
            )
            if row is None or row.next_attempt_at > now:
                continue  # another worker took it
            mail = Outbox(db, cipher).mail_of(row)
            row.attempts += 1
            try:
                sender.send(build_message(mail, settings.mail_from))
            except (OSError, smtplib.SMTPException) as exc:
                row.last_error = _error_label(exc)
                if row.attempts >= settings.mail_max_attempts:
                    row.status = "failed"
                    report.failed += 1
                    log.error(
                        "mail %s (%s) given up after %d attempts: %s",
                        row.id,
                        row.kind,
                        row.attempts,
                        row.last_error,
                    )
                else:
                    row.next_attempt_at = now + backoff(settings, row.attempts)
                    report.retrying += 1
                    log.warning(
                        "mail %s (%s) attempt %d failed: %s; retry later",
                        row.id,
                        row.kind,
                        row.attempts,
                        row.last_error,
                    )
                continue
            row.status = "sent"
            row.sent_at = now
            row.last_error = ""
            report.sent += 1
            log.info("mail %s (%s) sent", row.id, row.kind)
    return report
