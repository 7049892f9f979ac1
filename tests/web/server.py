"""``iprisk serve`` as a real child process for tests: started on a free loopback port, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from iprisk.settings import Settings

#: Seconds a node may take to answer /health on a busy machine (workers import pandas, SQLAlchemy...).
START_S = 180


@dataclass
class ServedNode:
    process: subprocess.Popen[bytes]
    url: str
    #: everything the node prints goes to this file: a pipe nobody reads until the end would fill up (one
    #: access-log line per request) and block the server
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def serve_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes ``iprisk serve`` serve the node of ``settings``."""
    return {
        "IPRISK_NODE": settings.node or "", "IPRISK_DATABASE": settings.database,
        "IPRISK_KEY_FOLDER": str(settings.key_folder), "IPRISK_WAREHOUSE": settings.warehouse, **extra,
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(env: dict[str, str], cwd: Path) -> ServedNode:
    """``iprisk serve`` in a child process on a free loopback port, once /health answers."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "iprisk", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    served = ServedNode(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_S
    # one client for the whole wait: each new client loads the system's CA bundle (0.1-0.5 s of CPU)
    with httpx2.Client(timeout=1) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(served.output())
            try:
                if http.get(f"{served.url}/health").status_code == 200:
                    return served
            except httpx2.TransportError:
                time.sleep(0.2)
    stop_node(served)
    raise AssertionError(f"iprisk serve did not answer within {START_S} s")


def stop_node(served: ServedNode, timeout: float = 90) -> int:
    """SIGTERM, then the exit code (SIGKILL if it has not ended within ``timeout``: never left running)."""
    served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
        raise
