"""SMTP URL parsing, backoff, field encryption and lookups, distances, consent validation."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from cartrial.engage.contact import ContactInput
from cartrial.engage.crypto import DecryptionError, FieldCipher
from cartrial.engage.geo import find_city, haversine_km
from cartrial.engage.mail import Mail, MailError, backoff, parse_smtp_url
from cartrial.engage.settings import EngageSettings
from cartrial.engage.volunteers import Profile


def test_smtp_url_forms() -> None:
    c = parse_smtp_url("smtp://user%40site:p%3Ass@mail.example.org:587?starttls=1")
    assert (c.host, c.port, c.username, c.password, c.tls, c.starttls) == (
        "mail.example.org",
        587,
        "user@site",
        "p:ss",
        False,
        True,
    )
    s = parse_smtp_url("smtps://mail.example.org")
    assert (s.port, s.tls, s.starttls, s.username) == (465, True, False, None)
    assert parse_smtp_url("smtp://127.0.0.1").port == 25
    for bad, word in (
        ("http://x", "scheme"),
        ("smtp://", "host"),
        ("smtp://h?starttls=maybe", "starttls"),
        ("smtp://h:port", "port"),
    ):
        with pytest.raises(ValueError, match=word):
            parse_smtp_url(bad)


def test_backoff_doubles_and_caps() -> None:
    s = EngageSettings(mail_backoff_seconds=60, mail_backoff_max_seconds=3600)
    assert [backoff(s, n).total_seconds() for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def test_mail_refuses_header_injection() -> None:
    with pytest.raises(MailError):
        Mail("a@example.org\r\nBcc: x@example.org", "s", "b")
    with pytest.raises(MailError):
        Mail("a@example.org", "s\nBcc: x", "b")
    with pytest.raises(MailError):
        Mail("not an address", "s", "b")


def test_cipher_round_trip_rotation_and_wrong_key() -> None:
    c = FieldCipher("secret-one")
    token = c.encrypt("Henrietta")
    assert "Henrietta" not in token and c.decrypt(token) == "Henrietta"
    with pytest.raises(DecryptionError):
        FieldCipher("secret-two").decrypt(token)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    t_old = FieldCipher("s", old).encrypt("x")
    assert FieldCipher("s", f"{new},{old}").decrypt(t_old) == "x"  # rotation keeps old rows
    assert c.lookup_key("email", " A@Example.org") == c.lookup_key("email", "a@example.org")
    assert c.lookup_key("email", "a@example.org") != FieldCipher("other").lookup_key(
        "email", "a@example.org"
    )


def test_distances_and_gazetteer() -> None:
    beijing, shenyang = find_city("Beijing", "China"), find_city("shenyang")
    assert beijing is not None and shenyang is not None
    d = haversine_km(beijing.latitude, beijing.longitude, shenyang.latitude, shenyang.longitude)
    assert 600 < d < 660  # ≈ 628 km great-circle
    assert find_city("Nowhereville-on-Sea") is None
    assert find_city("Paris", "France") is not None and find_city("Paris", "China") is None


def test_age_moves_on_with_time() -> None:
    p = Profile("a@b.org", ["sle"], 40, date(2026, 11, 22), "China", "Beijing", 0, 0, None)
    assert p.age_at(date(2027, 11, 21)) == 40 and p.age_at(date(2027, 11, 22)) == 41
    assert p.age_at(date(2026, 1, 1)) == 40


def test_contact_input_names_the_field() -> None:
    base = {"name": "A", "site": "s", "consent": True}
    with pytest.raises(ValidationError, match="email address or a phone"):
        ContactInput(**base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="phone"):
        ContactInput(**base, phone="call me maybe")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="consent"):
        ContactInput(name="A", site="s", email="a@example.org")
    assert ContactInput(**base, phone="+49 (911) 555-0142").phone == "+49 (911) 555-0142"  # type: ignore[arg-type]
