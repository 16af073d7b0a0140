"""Build ``src/cartrial/finder/data/snapshot.json.gz`` from a registry snapshot.

    .venv/bin/python scripts/build_finder_snapshot.py \
        [--monitor ../shared/research/ptjeong-car-t-monitor-snapshot-2026-08-22] \
        [--records ../shared/research/trials] [--output src/cartrial/finder/data/snapshot.json.gz]

The same input gives the same bytes (canonical JSON, gzip without a timestamp). The snapshot's
MIT licence is copied beside the data file.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from cartrial.domain.errors import DataError
from cartrial.finder.build import build_snapshot, snapshot_bytes

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "research"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--monitor", type=Path, default=SHARED / "ptjeong-car-t-monitor-snapshot-2026-08-22"
    )
    ap.add_argument("--records", type=Path, default=SHARED / "trials")
    ap.add_argument(
        "--output", type=Path, default=ROOT / "src/cartrial/finder/data/snapshot.json.gz"
    )
    args = ap.parse_args(argv)
    try:
        doc = build_snapshot(args.monitor, args.records if args.records.is_dir() else None)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = snapshot_bytes(doc)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    licence = args.output.parent / "LICENSE-car-t-trials-monitor.txt"
    licence.write_text(
        doc["source"]["attribution"] + "\n\n" + doc["source"]["licence_text"] + "\n",
        encoding="utf-8",
    )
    c = doc["counts"]
    print(
        f"{args.output}: {c['trials']} trials, {c['sites']} sites, {c['records']} registry "
        f"records, snapshot {doc['snapshot_date']}, {len(data)} bytes, "
        f"sha256 {hashlib.sha256(data).hexdigest()[:16]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
