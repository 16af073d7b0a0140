"""The bundled computable protocols (``trials/*.yaml``) and where to find them."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cartrial.criteria.protocol import Protocol
from cartrial.criteria.serde import load_protocol
from cartrial.domain.errors import DataError

_REPO_ROOT = Path(__file__).resolve().parents[3]


def trials_dir() -> Path:
    """``$CARTRIAL_TRIALS_DIR`` or the repository's ``trials/`` folder."""
    env = os.environ.get("CARTRIAL_TRIALS_DIR")
    return Path(env) if env else _REPO_ROOT / "trials"


def examples_dir() -> Path:
    env = os.environ.get("CARTRIAL_EXAMPLES_DIR")
    return Path(env) if env else _REPO_ROOT / "examples"


def load_protocols(directory: str | Path | None = None) -> dict[str, Protocol]:
    """Every protocol file in ``directory`` keyed by NCT id (sorted); bad files raise."""
    return dict(_load(str(Path(directory) if directory else trials_dir())))


@cache
def _load(directory: str) -> tuple[tuple[str, Protocol], ...]:
    path = Path(directory)
    if not path.is_dir():
        raise DataError("protocol folder not found", where=str(path))
    found: dict[str, Protocol] = {}
    for file in sorted(path.glob("*.yaml")):
        protocol = load_protocol(file)
        if protocol.nct_id in found:
            raise DataError(f"duplicate protocol for {protocol.nct_id}", where=str(file))
        found[protocol.nct_id] = protocol
    return tuple(sorted(found.items()))


def get_protocol(nct_id: str, directory: str | Path | None = None) -> Protocol:
    protocols = load_protocols(directory)
    key = nct_id.strip().upper()
    if key not in protocols:
        known = ", ".join(protocols) or "none"
        raise DataError(f"no bundled protocol {nct_id!r} (known: {known})", field="trial")
    return protocols[key]
