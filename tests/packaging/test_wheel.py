"""The built wheel works outside the checkout: bundled trials, demo patients and vocabulary.

Builds the wheel, installs it (without dependencies) into a fresh virtualenv whose dependencies
come from the project's own environment through a path entry, and runs ``cartrial demo`` and
``cartrial serve`` from an empty temporary directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    wheels = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("cartrial-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # dependencies from the project's environment, after the wheel's own site-packages; the
    # editable install of the checkout is a .pth *inside* that folder and is not processed
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTRIAL_")}
    env["PYTHONPATH"] = ""
    env["HOME"] = str(tmp)
    return env


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import cartrial; print(cartrial.__file__)"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed) in out.stdout
    assert str(ROOT / "src") not in out.stdout


def test_demo_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-m", "cartrial.cli", "demo"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "ELIGIBLE" in out.stdout and "NCT07193667" in out.stdout


def test_serve_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path) | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "CARTRIAL_ADMIN_PASSWORD": "wheel-test-password-1",
    }
    proc = subprocess.Popen(
        [str(installed / "bin" / "python"), "-m", "cartrial.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/trials", timeout=5)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stderr.read().decode() if proc.stderr else ""
                    ) from None
                time.sleep(0.5)
        assert r.status_code == 200
        assert "NCT05858684" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
