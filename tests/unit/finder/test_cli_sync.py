"""``cartrial trials sync`` refreshes what the finder serves (sites' geoPoint included), and
``cartrial trials find`` searches it; a local fake registry on 127.0.0.1 stands in for CT.gov."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app

STUDY = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT05765006",
            "briefTitle": "CD19-CART(Relma-cel) for Moderate to Severe Active Systemic Lupus",
        },
        "statusModule": {"overallStatus": "RECRUITING"},
        "conditionsModule": {"conditions": ["Systemic Lupus Erythematosus"]},
        "contactsLocationsModule": {
            "locations": [
                {
                    "facility": "Uniklinik Erlangen",
                    "city": "Erlangen",
                    "country": "Germany",
                    "status": "RECRUITING",
                    "geoPoint": {"lat": 49.59099, "lon": 11.00783},
                },
                {"facility": "Site without geoPoint", "city": "Somewhere", "country": "Germany"},
            ]
        },
    }
}


@pytest.fixture
def registry() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            data = json.dumps({"studies": [STUDY], "totalCount": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    server.shutdown()
    server.server_close()


def test_sync_refreshes_the_finder_with_geopoints(registry: str, tmp_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(
        app,
        ["trials", "find", "lupus", "--near", "Erlangen", "--within", "10", "--format", "json",
         "--data-dir", str(tmp_path)],
    )  # fmt: skip
    assert before.exit_code == 0, before.output
    assert "NCT05765006" not in before.output  # in the snapshot its only site is in Shanghai
    synced = runner.invoke(
        app,
        ["trials", "sync", "--query", "lupus", "--base-url", registry, "--data-dir",
         str(tmp_path), "--retries", "0", "--no-alerts"],  # alerts: tests/web/engage
    )  # fmt: skip
    assert synced.exit_code == 0, synced.output
    assert "1 of 2 sites with coordinates" in synced.output
    after = runner.invoke(
        app,
        ["trials", "find", "lupus", "--near", "Erlangen", "--within", "10", "--format", "json",
         "--data-dir", str(tmp_path)],
    )  # fmt: skip
    assert after.exit_code == 0, after.output
    found = {t["nct_id"]: t for t in json.loads(after.output)["trials"]}
    assert found["NCT05765006"]["nearest_site_km"] == pytest.approx(0, abs=1)
    snap = runner.invoke(app, ["trials", "snapshot", "--data-dir", str(tmp_path)])
    assert "1 refreshed by sync" in snap.output and "2026-08-22" in snap.output


def test_find_unknown_place_and_within_without_near(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["trials", "find", "--near", "Shanghia", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "Shanghai, China" in r.output
    r = runner.invoke(app, ["trials", "find", "--within", "5", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "--near" in r.output
