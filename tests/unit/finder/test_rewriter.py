"""The optional LLM rewriter against a local fake OpenAI-compatible server (127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from cartrial.finder.build import build_snapshot, snapshot_bytes
from cartrial.finder.rewriter import check_rewrite, rewrite_summary
from cartrial.finder.snapshot import load_snapshot
from cartrial.finder.store import FinderStore
from cartrial.finder.summary import PlainSummary, plain_summary


class FakeLLM:
    """Answers /v1/chat/completions with ``transform(user text)``; records the requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.transform = lambda text: text
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append({"path": self.path, "body": body})
                user = body["messages"][-1]["content"]
                answer = {"choices": [{"message": {"role": "assistant",
                                                   "content": owner.transform(user)}}]}  # fmt: skip
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def summary(monitor_dir: Path, tmp_path: Path) -> PlainSummary:
    path = tmp_path / "snap.json.gz"
    path.write_bytes(snapshot_bytes(build_snapshot(monitor_dir)))
    entry = FinderStore(load_snapshot(path)).get("NCT00000001")
    assert entry is not None
    return plain_summary(entry)


def test_a_changed_number_is_rejected(llm: FakeLLM, summary: PlainSummary) -> None:
    assert "18" in summary.text
    llm.transform = lambda text: text.replace("18", "16")
    result = rewrite_summary(summary, llm.url)
    assert not result.accepted
    assert result.text == summary.text  # the deterministic text stands
    assert "16" in result.reason
    assert llm.requests and llm.requests[0]["path"] == "/v1/chat/completions"


def test_a_faithful_rewrite_is_accepted(llm: FakeLLM, summary: PlainSummary) -> None:
    llm.transform = lambda text: text.replace("can join", "may take part")
    result = rewrite_summary(summary, llm.url)
    assert result.accepted and "may take part" in result.text


def test_a_new_named_criterion_is_rejected(llm: FakeLLM, summary: PlainSummary) -> None:
    llm.transform = lambda text: text + " You must have tried rituximab."
    assert not rewrite_summary(summary, llm.url).accepted
    llm.transform = lambda text: text + " People with myasthenia gravis can also join."
    result = rewrite_summary(summary, llm.url)
    assert not result.accepted and "mg" in result.reason


def test_no_server_keeps_the_deterministic_text(summary: PlainSummary) -> None:
    result = rewrite_summary(summary, "http://127.0.0.1:9/v1", timeout=0.5)
    assert not result.accepted and result.text == summary.text
    assert "unavailable" in result.reason


def test_check_rewrite_rejects_empty_text(summary: PlainSummary) -> None:
    assert not check_rewrite(summary, "   ").accepted
