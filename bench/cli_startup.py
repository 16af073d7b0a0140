"""CLI start-up: wall time of ``cartrial --help`` and of ``cartrial match`` on one demo bundle.

Prints the median of 10 runs of each (issue 11 targets: --help <= 0.15 s, match <= 0.5 s), and
the median CPU time of the child, which a busy machine disturbs less than wall time.
An installed ``cartrial`` runs from compiled bytecode (pip writes the ``.pyc`` files at install),
so the timed runs follow one untimed warm-up run that writes them; where bytecode writing is
switched off (``PYTHONDONTWRITEBYTECODE``) they go to a temporary ``PYTHONPYCACHEPREFIX``, and
the ``match`` runs as the caller's environment has them (cartrial compiled from source on every
start) are printed for comparison.
Run: .venv/bin/python bench/cli_startup.py
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "cartrial.cli"]


def _demo_bundle() -> Path:
    import cartrial.resources as res

    bundles = sorted((res.examples_dir() / "patients").glob("*.json"))
    if not bundles:
        raise SystemExit("no demo bundle found")
    return bundles[0]


def wall(args: list[str], env: dict[str, str], runs: int = 10) -> tuple[float, float, float]:
    """Median and max wall time, and median CPU time (user + system) of the child."""
    subprocess.run(args, check=True, capture_output=True, env=env)  # warm-up: writes bytecode
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), max(times), statistics.median(cpu)


def _line(label: str, figures: tuple[float, float, float], goal: str = "") -> str:
    med, top, cpu = figures
    return (
        f"{label:34s} median {med * 1000:7.1f} ms  max {top * 1000:7.1f} ms"
        f"  cpu {cpu * 1000:7.1f} ms  {goal}"
    ).rstrip()


def main() -> None:
    bundle = _demo_bundle()
    match_args = [*CLI, "match", str(bundle), "--as-of", "2026-11-22", "--format", "json"]
    with tempfile.TemporaryDirectory(prefix="cartrial-pyc-") as pyc:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pyc
        print(_line("python -c pass", wall([sys.executable, "-c", "pass"], env)))
        print(_line("cartrial --help", wall([*CLI, "--help"], env), "(goal <= 150 ms)"))
        print(_line("cartrial match (1 bundle)", wall(match_args, env), "(goal <= 500 ms)"))
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            print(_line("cartrial match, no cartrial .pyc", wall(match_args, dict(os.environ))))
    print(
        f"load average: {os.getloadavg()[0]:.2f} (2 or more: a busy machine, where the child's"
        " CPU time (user + system) is the steadier figure)"
    )


if __name__ == "__main__":
    main()
