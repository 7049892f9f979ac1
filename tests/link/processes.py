"""Real nodes for the end-to-end tests: each is ``iprisk serve`` in its own process, with its own database
(a SQLite file or a PostgreSQL database of IPRISK_TEST_POSTGRES_URL), warehouse and key folder, on a loopback
port; the operator's commands are ``iprisk ...`` processes with the node's settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from iprisk.link import Link
from iprisk.link.service import open_link
from iprisk.node.init import init_node
from iprisk.settings import Settings

POSTGRES_URL = os.environ.get("IPRISK_TEST_POSTGRES_URL", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_database(backend: str, folder: Path) -> str:
    """A fresh database URL: a SQLite file in ``folder`` or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'ops.sqlite'}"
    name = f"iprisk_node_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


class NodeProcess:
    """One node: its folder and settings; ``start`` runs ``iprisk serve``, ``cli`` runs a command."""

    def __init__(self, name: str, folder: Path, backend: str, **settings: str):
        self.name = name
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.database = new_database(backend, folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IPRISK_")},
            "IPRISK_NODE": name,
            "IPRISK_KEY_FOLDER": str(folder / "keys"),
            "IPRISK_DATABASE": self.database,
            "IPRISK_WAREHOUSE": str(folder / "warehouse.duckdb"),
            "IPRISK_DELIVERY_INTERVAL_S": "0.5",
            "IPRISK_RETRY_FIRST_S": "0.5",
            "IPRISK_RETRY_CAP_S": "4",
            "IPRISK_PEER_TIMEOUT_S": "10",
            "IPRISK_LOG_LEVEL": "WARNING",
            **{f"IPRISK_{k.upper()}": v for k, v in settings.items()},
        }
        self.fingerprint = init_node(self.settings()).fingerprint  # iprisk node init
        self.process: subprocess.Popen[bytes] | None = None
        self._links: list[Link] = []
        self._log = folder / "serve.log"

    # -- the service ---------------------------------------------------------------------------------
    def start(self, timeout_s: float = 600.0) -> None:
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Start ``iprisk serve`` (see :meth:`wait_ready`)."""
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "iprisk", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout_s: float = 600.0) -> None:
        """Wait until the node answers ``/health`` (on 2 cores shared by several test runs, the imports of a
        starting node took over 180 s: a node that does not start at all still fails, later)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        # one client for the whole wait: each new client loads the system's CA bundle (0.1-0.5 s of CPU)
        with httpx2.Client(timeout=1) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited at start:\n{self.output()}")
                try:
                    if http.get(f"{self.url}/health").status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(0.2)
        self.kill()
        raise AssertionError(f"{self.name} did not answer within {timeout_s} s:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM (graceful: the delivery in progress finishes); the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=90)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, whatever was in flight."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def output(self) -> str:
        return self._log.read_text(encoding="utf-8", errors="replace") if self._log.exists() else ""

    # -- the operator ----------------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The node's settings, for what the test does as its operator in this process (the library calls
        the ``iprisk`` commands make, without starting an interpreter for each: the machine is shared)."""
        return Settings(
            **{k.removeprefix("IPRISK_").lower(): v for k, v in self.env.items() if k.startswith("IPRISK_")}
        )

    def link(self) -> Link:
        """The node's link, opened in this process (closed with :meth:`close`)."""
        link = open_link(self.settings())
        self._links.append(link)
        return link

    def cli(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``iprisk ARGS`` run at this node (``env``: more settings, e.g. the token of who acts)."""
        done = subprocess.run(
            [sys.executable, "-m", "iprisk", *args],
            env=self.env | (env or {}),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{self.name}: iprisk {' '.join(args)} -> {done.returncode}\n{done.stderr}")
        return done

    def scalar(self, sql: str) -> int:
        """One number read from the node's database (by the test, beside the running node)."""
        engine = create_engine(self.database)
        try:
            with engine.connect() as con:
                return int(con.execute(text(sql)).scalar() or 0)
        finally:
            engine.dispose()

    def close(self) -> None:
        for link in self._links:
            link.close()
            link.node.close()
        self.kill()
        drop_database(self.database)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 1200.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
