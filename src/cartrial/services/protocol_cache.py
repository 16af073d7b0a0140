"""Validated protocols kept between runs, so a CLI start skips YAML parsing and validation.

Parsing the five bundled YAML files and validating them costs more than screening a patient
against all of them; ``cartrial match`` pays it on every start. Each successfully validated
protocol is pickled under a key that is the SHA-256 of the file's bytes and of the code that
validates it (the sources of ``cartrial.criteria`` and ``cartrial.domain``, the cartrial, pydantic
and Python versions): a changed file or a changed model misses the cache and is validated again.
Failures are never stored, so a bad file raises the same error on every load.

The folder is ``CARTRIAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/cartrial`` (``~/.cache/cartrial``);
``CARTRIAL_CACHE_DIR=off`` turns the cache off. It holds only what the user's own protocol files
produce; a folder that cannot be written leaves every load validating, as without a cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cartrial.criteria.protocol import Protocol

_CODE_PACKAGES = ("criteria", "domain")
"""The packages whose source decides what a protocol file validates to."""

KEEP = 64
"""Entries kept at most; each store beyond it removes the least recently written ones."""


def cache_dir() -> Path | None:
    """Where the pickles go, or None when the cache is switched off."""
    env = os.environ.get("CARTRIAL_CACHE_DIR")
    if env:
        return None if env == "off" else Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found: no cache
            return None
    return Path(base) / "cartrial"


@functools.cache
def _code_fingerprint() -> bytes:
    import pydantic

    import cartrial

    digest = hashlib.sha256()
    versions = f"{cartrial.__version__}|{pydantic.VERSION}|{sys.version}"
    digest.update(versions.encode())
    root = Path(cartrial.__file__).resolve().parent
    for package in _CODE_PACKAGES:
        for source in sorted((root / package).glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.digest()


def load_cached(path: Path, validate: Callable[[Path], Protocol]) -> Protocol:
    """``validate(path)``, or its earlier result for the same file bytes and the same code."""
    folder = cache_dir()
    if folder is None:
        return validate(path)
    try:
        data = path.read_bytes()
    except OSError:
        return validate(path)  # the validator names the unreadable file
    key = hashlib.sha256(_code_fingerprint() + data).hexdigest()
    entry = folder / f"protocol-{key}.pickle"
    try:
        cached = pickle.loads(entry.read_bytes())  # noqa: S301 - written by this module, keyed by content
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        cached = None
    if isinstance(cached, Protocol):
        return cached
    protocol = validate(path)
    if _unchanged(path, data):
        _store(folder, entry, protocol)
    return protocol


def _unchanged(path: Path, data: bytes) -> bool:
    """The file still holds the bytes the key was made of (not rewritten while validating)."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _store(folder: Path, entry: Path, protocol: Protocol) -> None:
    """Write atomically (temporary file, then rename); a folder that refuses is left alone."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".protocol-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                pickle.dump(protocol, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder, entry)
    except (OSError, pickle.PicklingError):
        return


def _prune(folder: Path, written: Path) -> None:
    """Old versions of edited protocols would pile up: keep ``written`` and the newest others,
    ``KEEP`` in all."""
    others = [f for f in folder.glob("protocol-*.pickle") if f != written]
    others.sort(key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in others[KEEP - 1 :]:
        old.unlink(missing_ok=True)
