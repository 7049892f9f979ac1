"""``iprisk serve`` as a real process: it answers, and SIGTERM stops it gracefully (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2

from iprisk.node import Node, init_node
from iprisk.warehouse import Warehouse
from tests.web.conftest import node_settings
from tests.web.server import serve_env, start_node, stop_node

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seizures" / "DE_2016Q3.csv"


def test_serve_refuses_to_start_with_a_setting_at_fault(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "iprisk", "serve"], env={**os.environ, "IPRISK_NODE": "CN"}, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "setting key_folder (IPRISK_KEY_FOLDER)" in done.stderr and "iprisk node init" in done.stderr


def test_serve_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {"IPRISK_NODE": "CN"}
    subprocess.run(
        [sys.executable, "-m", "iprisk", "node", "init"], env={**os.environ, **env}, cwd=tmp_path, check=True
    )
    served = start_node(env, tmp_path)
    try:
        assert httpx2.get(f"{served.url}/health").json()["node"] == "CN"
    finally:
        code = stop_node(served)
    output = served.output()
    # uvicorn finishes what is in flight, then re-raises the signal so that supervisors see why it ended
    assert code in (0, -signal.SIGTERM), output
    assert "Finished server process" in output


def _large_quarter(lines: int) -> bytes:
    """The sample's first line repeated under new case ids: a valid file that takes a while to validate."""
    header, first = SAMPLE.read_text(encoding="utf-8").splitlines()[:2]
    rest = first.split(",", 1)[1]
    return "\n".join([header, *(f"DE-2016-{i:07d},{rest}" for i in range(lines))]).encode("utf-8") + b"\n"


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, f"sqlite:///{tmp_path / 'ops.sqlite'}")
    init_node(settings)
    with Node.open(settings) as node:
        node.accounts.add_user("lead", "coordinator", "EU", by="test")
        token = node.accounts.create_token("lead", days=1, by="test")[1]
    served = start_node(serve_env(settings), tmp_path)
    boundary = "iprisk-test-boundary"
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="DE_2016Q3.csv"\r\n'.encode(),
        b"Content-Type: text/csv\r\n\r\n", _large_quarter(100_000), f"\r\n--{boundary}--\r\n".encode(),
    ])  # fmt: skip
    sent = threading.Event()
    answer: dict[str, object] = {}

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]
        sent.set()

    def submit() -> None:
        form = f"multipart/form-data; boundary={boundary}"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": form}
        try:
            url = f"{served.url}/submissions"
            response = httpx2.post(url, content=chunks(), headers=headers, timeout=300)
            answer.update(status=response.status_code, body=response.text, at=time.monotonic())
        except httpx2.HTTPError as exc:  # reported by the assertion below, not lost in the thread
            answer.update(error=repr(exc))

    request = threading.Thread(target=submit)
    request.start()
    assert sent.wait(120)  # the whole request is sent; validating 100,000 lines takes seconds more
    stopped_at = time.monotonic()
    code = stop_node(served)
    request.join()
    assert answer.get("status") == 201, (answer, served.output()[-2000:])
    assert answer["at"] > stopped_at  # it was still in flight when SIGTERM came, and it was finished
    assert code in (0, -signal.SIGTERM), served.output()
    with Warehouse.open(settings.warehouse) as wh:
        assert len(wh.submissions()) == 1
