"""Engage figures: what a passcode guess costs (argon2id, default profile), how fast the outbox
drains into a local SMTP server (aiosmtpd on 127.0.0.1), and an alerts run over the finder's
store with many volunteers.

Run: .venv/bin/python bench/engage_bench.py [--messages 200] [--volunteers 300]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--volunteers", type=int, default=300)
    args = ap.parse_args()

    from cartrial.engage.alerts import run_alerts
    from cartrial.engage.mail import Mail, Outbox
    from cartrial.engage.service import Engage
    from cartrial.engage.settings import EngageSettings
    from cartrial.engage.volunteers import VolunteerInput, Volunteers
    from cartrial.persistence.db import make_engine, session_factory, upgrade
    from cartrial.services.bundled_protocols import load_protocols
    from cartrial.web.catalog import Catalog
    from tests.web.engage.smtp import SmtpServer

    # 1. a passcode guess with the production profile
    engage = Engage(settings=EngageSettings(), secret="bench")
    h = engage.hash_passcode("tulip-kettle-9")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        engage.verify_passcode(h, "wrong-guess")
        times.append(time.perf_counter() - t)
    s = engage.settings
    print(
        f"argon2id verify (t={s.passcode_time_cost}, m={s.passcode_memory_kib} KiB): "
        f"median {statistics.median(times) * 1000:.0f} ms per guess; with "
        f"{s.share_max_attempts} tries per {s.share_lock_seconds}s lock (doubling): "
        f"<= {s.share_max_attempts * 24 * 3600 // s.share_lock_seconds} guesses/day at most"
    )

    tmp = Path(tempfile.mkdtemp(prefix="engage-bench-"))
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    smtp = SmtpServer()
    smtp.start()
    try:
        engage = Engage(settings=EngageSettings(smtp_url=smtp.url), secret="bench")
        now = datetime.now(UTC)
        t = time.perf_counter()
        with sessions.begin() as db:
            box = Outbox(db, engage.cipher)
            for i in range(args.messages):
                box.queue(Mail(f"p{i}@example.org", f"m{i}", "body " * 50), kind="bench", now=now)
        queued = time.perf_counter() - t
        t = time.perf_counter()
        report = engage.send_pending(sessions, now=now)
        sent = time.perf_counter() - t
        print(
            f"outbox: queued {args.messages} encrypted messages in {queued:.2f}s; "
            f"sent {report.sent} to SMTP 127.0.0.1 in {sent:.2f}s "
            f"({report.sent / sent:.0f} msg/s, one SMTP connection per batch)"
        )

        protocols = load_protocols()
        entries = list(Catalog(protocols).finder(tmp / "var").store.entries.values())
        cities = ["Beijing", "Shanghai", "Berlin", "Paris", "New York", "Houston", "Madrid"]
        with sessions.begin() as db:
            repo = Volunteers(db, engage)
            for i in range(args.volunteers):
                v = repo.sign_up(
                    VolunteerInput(
                        email=f"v{i}@example.org",
                        conditions=["sle", "ssc"] if i % 2 else ["iim"],
                        age=20 + i % 50,
                        country="China"
                        if cities[i % 7] in ("Beijing", "Shanghai")
                        else "US"
                        if cities[i % 7] in ("New York", "Houston")
                        else {"Berlin": "Germany", "Paris": "France", "Madrid": "Spain"}[
                            cities[i % 7]
                        ],
                        city=cities[i % 7],
                        travel_km=None if i % 3 == 0 else 2000,
                    ),
                    known_conditions={"sle", "ssc", "iim"},
                    today=date.today(),
                    now=now,
                    base_url=None,
                )
                repo.confirm(v, now)
        held_back = entries[: len(entries) // 10]  # a tenth "arrives" after the baseline
        with sessions.begin() as db:
            run_alerts(db, entries[len(entries) // 10 :], engage, now=now + timedelta(minutes=1))
        t = time.perf_counter()
        with sessions.begin() as db:
            r = run_alerts(db, entries, engage, now=now + timedelta(minutes=2))
        took = time.perf_counter() - t
        print(
            f"alerts: {len(entries)} trials ({len(held_back)} new) x {args.volunteers} volunteers "
            f"in {took:.2f}s -> {r.digests} digests, {r.alerts} alerts "
            f"({len(r.new_trials)} newly open)"
        )
    finally:
        smtp.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
