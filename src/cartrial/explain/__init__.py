"""Screening results explained for people: the decisive reason in plain words, human names and
conventional units, and the missing data grouped by what to order.

The same wording is used by the web pages, ``cartrial match --format table`` and the JSON
(``reason`` beside the machine fields).
"""

from cartrial.explain.reasons import (
    Alternative,
    Explanation,
    MissingGroup,
    MissingItem,
    Reason,
    explain,
    flat,
)

__all__ = [
    "Alternative",
    "Explanation",
    "MissingGroup",
    "MissingItem",
    "Reason",
    "explain",
    "flat",
]
