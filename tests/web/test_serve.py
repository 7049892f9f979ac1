"""``iprisk serve`` as a real process: it answers, and SIGTERM stops it gracefully (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2

from tests.web.server import start_node, stop_node


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
