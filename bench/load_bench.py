"""Load: 32 concurrent API clients mixing bundle writes, screenings and reads against a real
server (``cartrial serve`` in a subprocess on 127.0.0.1), on SQLite and on PostgreSQL.

    .venv/bin/python bench/load_bench.py [--seconds 60] [--clients 32] [--backend sqlite|postgresql|both]

Every write is conditional (``If-Match`` with the ETag last read); a 412 or 409 answer makes
the client re-read and carry on. At the end the bench checks that nothing was lost: per
patient, the accepted writes form one unbroken chain of versions (no two accepted on the same
base) and the stored bundle is the last accepted one. Prints requests, answers by status,
errors (anything else: 5xx, timeouts, unexpected statuses), lost updates and latency
percentiles per kind of request. Exit status 1 when there is an error or a lost update.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cartrial.persistence.db import make_engine, session_factory, upgrade  # noqa: E402
from cartrial.persistence.repositories import Tokens, Users  # noqa: E402
from tests.web.helpers import sle_bundle  # noqa: E402

PATIENTS = 8
"""Few patients for many clients: writes to one record collide all the time."""
MIX = (("write", 0.45), ("screen", 0.25), ("read", 0.30))


@dataclass
class Stats:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    accepted: dict[int, list[tuple[int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """patient -> (base row version, new row version, write id) of every accepted write."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _version(etag: str) -> int:
    return int(etag.strip('"').rsplit("-v", 1)[1])


def _bundle(write_id: str, creatinine: float) -> bytes:
    data = sle_bundle("load", creatinine_umol=creatinine)
    data["id"] = write_id
    return json.dumps(data).encode()


async def client_loop(
    n: int, base: str, token: str, pids: list[int], until: float, stats: Stats
) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {token}"}
    etags: dict[int, str] = {}
    counter = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        while time.monotonic() < until:
            pid = rng.choice(pids)
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            t0 = time.perf_counter()
            try:
                if kind == "read" or (kind == "write" and pid not in etags):
                    r = await http.get(f"/api/v1/patients/{pid}")
                    kind = "read"
                    if r.status_code == 200:
                        etags[pid] = r.headers["etag"]
                elif kind == "write":
                    counter += 1
                    write_id = f"w{n}x{counter}"
                    base_etag = etags[pid]
                    r = await http.put(
                        f"/api/v1/patients/{pid}/bundle",
                        content=_bundle(write_id, 50 + rng.random() * 100),
                        headers={"Content-Type": "application/fhir+json", "If-Match": base_etag},
                    )
                    if r.status_code == 200:
                        new = r.headers["etag"]
                        stats.accepted[pid].append((_version(base_etag), _version(new), write_id))
                        etags[pid] = new
                    elif r.status_code in (409, 412):
                        etags.pop(pid, None)  # someone else wrote first: re-read next time
                else:
                    r = await http.post(f"/api/v1/patients/{pid}/screenings")
            except httpx.HTTPError as exc:
                stats.errors[f"{kind}: {type(exc).__name__}"] += 1
                continue
            stats.latencies[kind].append(time.perf_counter() - t0)
            stats.statuses[f"{kind} {r.status_code}"] += 1
            expected = {"read": {200}, "write": {200, 409, 412}, "screen": {201, 409}}[kind]
            if r.status_code not in expected:
                stats.errors[f"{kind} answered {r.status_code}"] += 1


def lost_updates(stats: Stats, final: dict[int, tuple[int, str]]) -> list[str]:
    """Per patient: accepted writes chain 1→2→3… without gaps or forks, and the stored bundle
    is the last one accepted."""
    problems: list[str] = []
    for pid, (row_version, bundle_id) in final.items():
        writes = sorted(stats.accepted.get(pid, []), key=lambda w: w[1])
        bases = [b for b, _, _ in writes]
        if len(set(bases)) != len(bases):
            problems.append(f"patient {pid}: two writes accepted on the same version")
        for (_, new, _), (nxt_base, _, _) in zip(writes, writes[1:], strict=False):
            if nxt_base != new:
                problems.append(f"patient {pid}: write on version {nxt_base} after {new}")
        if writes:
            last_version, last_id = writes[-1][1], writes[-1][2]
            if bundle_id != last_id or row_version != last_version:
                problems.append(
                    f"patient {pid}: stored {bundle_id}@v{row_version}, "
                    f"last accepted {last_id}@v{last_version}"
                )
    return problems


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_backend(name: str, url: str, seconds: float, clients: int, tmp: Path) -> bool:
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as db:
        users = Users(db)
        admin = users.create("load-admin", "load-admin-password", "admin")
        coordinator = users.create("load", "load-password-123", "coordinator")
        token = Tokens(db).create(coordinator, "load")[1]
        del admin
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "load-bench-secret",
        "CARTRIAL_VAR_DIR": str(tmp / "var"),
        "CARTRIAL_SEED_DEMO": "false",
        "CARTRIAL_ADMIN_PASSWORD": "unused-admin-password",
    }
    cli = str(Path(sys.executable).parent / "cartrial")
    server = subprocess.Popen(
        [cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                err = server.stderr.read().decode() if server.stderr else ""
                print(f"{name}: the server did not start\n{err[-2000:]}")
                return False
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        pids = []
        for i in range(PATIENTS):
            r = httpx.post(
                f"{base}/api/v1/patients?label=Load%20{i}",
                content=_bundle(f"seed{i}", 70),
                headers={**auth, "Content-Type": "application/fhir+json"},
                timeout=60,
            )
            r.raise_for_status()
            pids.append(r.json()["id"])
        stats = Stats()
        until = time.monotonic() + seconds
        t0 = time.perf_counter()

        async def all_clients() -> None:
            await asyncio.gather(
                *(client_loop(n, base, token, pids, until, stats) for n in range(clients))
            )

        asyncio.run(all_clients())
        elapsed = time.perf_counter() - t0
        final: dict[int, tuple[int, str]] = {}
        for pid in pids:
            got = httpx.get(f"{base}/api/v1/patients/{pid}/bundle", headers=auth, timeout=60)
            final[pid] = (_version(got.headers["etag"]), got.json()["id"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        engine.dispose()
    lost = lost_updates(stats, final)
    total = sum(stats.statuses.values())
    accepted = sum(len(v) for v in stats.accepted.values())
    print(f"== {name}: {clients} clients, {elapsed:.0f} s, {PATIENTS} patients")
    print(f"requests {total:,} ({total / elapsed:,.1f}/s); accepted writes {accepted:,}")
    print("answers: " + ", ".join(f"{k} ×{v:,}" for k, v in sorted(stats.statuses.items())))
    print(
        f"errors {sum(stats.errors.values())}" + (f": {dict(stats.errors)}" if stats.errors else "")
    )
    print(f"lost updates {len(lost)}" + (f": {lost[:5]}" if lost else ""))
    for kind, values in sorted(stats.latencies.items()):
        print(
            f"  {kind:6s} n={len(values):5d}  p50 {_percentile(values, 0.5) * 1000:7.0f} ms  "
            f"p95 {_percentile(values, 0.95) * 1000:7.0f} ms  "
            f"p99 {_percentile(values, 0.99) * 1000:7.0f} ms"
        )
    return not stats.errors and not lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="cartrial-load-") as tmp_name:
        tmp = Path(tmp_name)
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{tmp / 'load.db'}"
            ok &= run_backend("SQLite", url, args.seconds, args.clients, tmp)
        if args.backend in ("postgresql", "both"):
            from tests.web.conftest import pg_server

            cluster = pg_server.__wrapped__()  # the test suite's throwaway-cluster fixture
            try:
                server = next(cluster)
            except BaseException as exc:  # pytest.skip when the binaries are missing
                print(f"PostgreSQL: not run ({exc})")
                return 1 if not ok else 0
            try:
                ok &= run_backend(
                    "PostgreSQL", server.new_database(), args.seconds, args.clients, tmp
                )
            finally:
                next(cluster, None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
