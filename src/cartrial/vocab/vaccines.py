"""Vaccines: live, non-live or undetermined."""

from __future__ import annotations

from cartrial.vocab.store import _get

# ---------------------------------------------------------------------------------------------
# vaccines


def vaccine_live_status(key: str) -> str:
    """The raw live status: live, non_live, live_nonreplicating or ambiguous."""
    return str(_get("vaccines", key).get("live_status"))


def vaccine_is_live(key: str) -> bool | None:
    """True for live vaccines, False for non-live, None when the code does not say
    (``ambiguous`` and ``live_nonreplicating`` such as MVA: the investigator decides)."""
    status = vaccine_live_status(key)
    if status == "live":
        return True
    if status == "non_live":
        return False
    return None
