"""The bundled computable protocols (``trials/*.yaml``) and where to find them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cartrial.criteria.protocol import Protocol
from cartrial.criteria.serde import load_protocol
from cartrial.domain.errors import DataError
from cartrial.resources import examples_dir, trials_dir
from cartrial.services.protocol_cache import load_cached

__all__ = ["examples_dir", "get_protocol", "load_protocols", "trials_dir"]


def load_protocols(directory: str | Path | None = None) -> dict[str, Protocol]:
    """Every protocol file in ``directory`` keyed by NCT id (sorted); bad files raise.

    Parsed files are cached by path and modification time, so an edited protocol is re-read,
    and between runs by content (:mod:`cartrial.services.protocol_cache`).
    """
    path = Path(directory) if directory else trials_dir()
    if not path.is_dir():
        raise DataError("protocol folder not found", where=str(path))
    stamp = tuple((str(f), f.stat().st_mtime_ns) for f in sorted(path.glob("*.yaml")))
    return dict(_load(stamp))


@cache
def _load(stamp: tuple[tuple[str, int], ...]) -> tuple[tuple[str, Protocol], ...]:
    found: dict[str, Protocol] = {}
    for name, _mtime in stamp:
        file = Path(name)
        protocol = load_cached(file, load_protocol)
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
