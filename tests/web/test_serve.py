"""``iprisk serve`` as a real process: it answers, and SIGTERM stops it gracefully (exit 0)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``iprisk serve`` in a child process on a free loopback port; its base URL once /health answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "iprisk", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode() if process.stdout else "exited")
        try:
            if httpx2.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx2.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("iprisk serve did not answer within 180 s")


def stop_node(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGTERM, then the exit code and everything the node printed."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output.decode("utf-8", "replace")


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
    process, url = start_node(env, tmp_path)
    try:
        assert httpx2.get(f"{url}/health").json()["node"] == "CN"
    finally:
        code, output = stop_node(process)
    # uvicorn finishes what is in flight, then re-raises the signal so that supervisors see why it ended
    assert code in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
