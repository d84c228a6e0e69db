"""``streamkit run --serve``: a running app answers HTTP queries for its stores."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson

from streamkit.log import open_broker
from tests.query.test_state_cli import COUNTS, EXAMPLES, LINES
from tests.runtime.logs import produce_json

WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(port: int, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        conn.close()


def test_a_running_app_serves_its_counts_over_http(tmp_path: Path) -> None:
    app_file = tmp_path / "wc.py"
    app_file.write_text(
        "import runpy\n"
        f"app = runpy.run_path({str(EXAMPLES / 'wordcount.py')!r})['build']("
        "name='wcs', lines='wcs-lines', word_counts='wcs-counts')\n")
    broker_url = f"embedded://{tmp_path / 'log'}"
    broker = open_broker(broker_url)
    admin = broker.admin()
    admin.create_topic("wcs-lines", 2)
    admin.close()
    produce_json(broker, "wcs-lines", LINES)
    broker.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamkit.cli", "run", str(app_file), "--broker", broker_url,
         "--state-dir", str(tmp_path / "state"), "--serve", f"127.0.0.1:{port}", "--quiet"],
        env={**os.environ, "PYTHONPATH": str(EXAMPLES.parent)})
    try:
        deadline = time.monotonic() + WAIT_S
        answer: tuple[int, dict] | None = None  # type: ignore[type-arg]
        while time.monotonic() < deadline:  # counts become visible once checkpointed
            try:
                answer = get_json(port, "/stores/counts-store/keys/the")
            except OSError:
                answer = None
            if answer and answer[0] == 200 and answer[1]["value"] == COUNTS["the"]:
                break
            time.sleep(0.3)
        assert answer is not None and answer[0] == 200, answer
        assert answer[1]["value"] == COUNTS["the"]
        for word, count in COUNTS.items():
            status, body = get_json(port, f"/stores/counts-store/keys/{word}")
            assert (status, body["value"]) == (200, count), word
        status, body = get_json(port, "/stores/counts-store/keys/absent-word")
        assert status == 404
        status, body = get_json(port, "/stores")
        assert status == 200
        assert "counts-store" in [store["name"] for store in body["stores"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT_S) == 0


def test_a_bad_serve_address_fails_before_anything_starts(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "streamkit.cli", "run", str(EXAMPLES / "wordcount.py"),
         "--broker", f"embedded://{tmp_path / 'log'}", "--workers", "2",
         "--serve", "localhost"], capture_output=True, text=True, timeout=WAIT_S, check=False)
    assert result.returncode == 1
    assert "--serve 'localhost' is not HOST:PORT" in result.stderr + result.stdout
    assert not (tmp_path / "log").exists()  # nothing was created
