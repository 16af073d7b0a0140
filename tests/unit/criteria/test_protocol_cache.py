"""The between-runs cache of validated protocols (``cartrial.services.protocol_cache``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cartrial.criteria.protocol import Protocol
from cartrial.criteria.serde import ProtocolError, load_protocol
from cartrial.resources import trials_dir
from cartrial.services import protocol_cache
from cartrial.services.protocol_cache import load_cached

BUNDLED = sorted(trials_dir().glob("*.yaml"))


class Counting:
    """``load_protocol`` that counts its calls, to tell a cache hit from a validation."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path) -> Protocol:
        self.calls += 1
        return load_protocol(path)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CARTRIAL_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def protocol_file(tmp_path: Path) -> Path:
    target = tmp_path / BUNDLED[0].name
    shutil.copyfile(BUNDLED[0], target)
    return target


def test_every_bundled_protocol_comes_back_equal_from_the_cache(cache: Path) -> None:
    for file in BUNDLED:
        fresh = load_protocol(file)
        first = load_cached(file, load_protocol)
        validate = Counting()
        second = load_cached(file, validate)
        assert validate.calls == 0, file.name
        assert first == fresh and second == fresh, file.name
        assert second.model_dump(mode="json") == fresh.model_dump(mode="json")
    assert len(list(cache.glob("protocol-*.pickle"))) == len(BUNDLED)


def test_a_changed_file_is_validated_again(cache: Path, protocol_file: Path) -> None:
    validate = Counting()
    before = load_cached(protocol_file, validate)
    days = before.screening_window_days
    text = protocol_file.read_text(encoding="utf-8")
    changed = re.sub(
        r"(?m)^screening_window_days: \d+$", f"screening_window_days: {days + 1}", text
    )
    assert changed != text
    protocol_file.write_text(changed, encoding="utf-8")
    after = load_cached(protocol_file, validate)
    assert validate.calls == 2
    assert after.screening_window_days == days + 1
    assert load_cached(protocol_file, validate) == after and validate.calls == 2


def test_changed_code_misses_the_cache(
    cache: Path, protocol_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validate = Counting()
    load_cached(protocol_file, validate)
    monkeypatch.setattr(protocol_cache, "_code_fingerprint", lambda: b"other models")
    load_cached(protocol_file, validate)
    assert validate.calls == 2


def test_a_bad_file_raises_every_time_and_is_not_stored(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "NCT00000000.yaml"
    bad.write_text("schema_version: 1\ntrial: {nct_id: 42}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ProtocolError, match="NCT00000000.yaml"):
            load_cached(bad, load_protocol)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_corrupt_entry_is_replaced_by_a_validation(cache: Path, protocol_file: Path) -> None:
    expected = load_cached(protocol_file, load_protocol)
    (entry,) = cache.glob("protocol-*.pickle")
    entry.write_bytes(b"not a pickle")
    validate = Counting()
    assert load_cached(protocol_file, validate) == expected
    assert validate.calls == 1
    assert load_cached(protocol_file, Counting()) == expected  # rewritten


def test_an_unwritable_cache_folder_still_loads(
    tmp_path: Path, protocol_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CARTRIAL_CACHE_DIR", str(blocker / "cache"))
    validate = Counting()
    assert load_cached(protocol_file, validate) == load_protocol(protocol_file)
    load_cached(protocol_file, validate)
    assert validate.calls == 2


def test_cache_off(monkeypatch: pytest.MonkeyPatch, protocol_file: Path) -> None:
    monkeypatch.setenv("CARTRIAL_CACHE_DIR", "off")
    assert protocol_cache.cache_dir() is None
    validate = Counting()
    load_cached(protocol_file, validate)
    load_cached(protocol_file, validate)
    assert validate.calls == 2


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CARTRIAL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert protocol_cache.cache_dir() == tmp_path / "cartrial"


def test_old_entries_are_pruned(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol_cache, "KEEP", 2)
    text = BUNDLED[0].read_text(encoding="utf-8")
    versions = []
    for days in (20, 21, 22):
        file = tmp_path / f"v{days}.yaml"
        edited = re.sub(r"(?m)^screening_window_days: \d+$", f"screening_window_days: {days}", text)
        assert edited != text
        file.write_text(edited, encoding="utf-8")
        versions.append(file)
        load_cached(file, load_protocol)
    assert len(list(cache.glob("protocol-*.pickle"))) == 2
    validate = Counting()
    assert load_cached(versions[-1], validate).screening_window_days == 22
    assert validate.calls == 0  # the newest entry was kept


def test_no_home_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("CARTRIAL_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert protocol_cache.cache_dir() is None
