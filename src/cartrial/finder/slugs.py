"""URL slugs for organizations and products: accent-free, lower case, hyphenated."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["slugify"]


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "unnamed"
