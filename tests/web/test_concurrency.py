"""Fifty concurrent clients against a real node (two uvicorn worker processes), on SQLite and PostgreSQL:
each creates an account, a token for it, and submits a quarter, every POST sent twice with the same
Idempotency-Key. Nothing is lost, nothing is duplicated, and the audit log verifies."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iprisk.node import Node, init_node
from iprisk.node.audit import verify_node_log
from iprisk.store.audit import AuditEntryRow
from iprisk.warehouse import Warehouse
from tests.conftest import fresh_database
from tests.web.conftest import node_settings
from tests.web.server import serve_env, start_node, stop_node

CLIENTS = 50
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seizures" / "DE_2016Q3.csv"


def _quarter_file(i: int) -> tuple[str, bytes]:
    """The sample moved to quarter number ``i`` from 2004Q1 (its own case ids): one submission per client."""
    year, quarter = 2004 + i // 4, i % 4 + 1
    text = SAMPLE.read_text(encoding="utf-8")
    for month in ("07", "08", "09"):
        text = text.replace(f"2016-{month}-", f"{year}-{3 * (quarter - 1) + int(month) - 6:02d}-")
    return f"{year}Q{quarter}", text.replace("DE-2016-", f"DE-{year}-").encode("utf-8")


def _post(client: httpx2.Client, url: str, key: str, **kwargs: object) -> httpx2.Response:
    """POST twice with the same key (a client retrying after a lost answer); again after a 409 (the first
    is still running) or a 503 (the warehouse is busy), with backoff, as a client is told to."""
    answers = []
    for _ in range(2):
        pause = 0.1
        for _attempt in range(30):
            response = client.post(url, headers={"Idempotency-Key": key}, **kwargs)  # type: ignore[arg-type]
            if response.status_code not in (409, 503):
                break
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
        answers.append(response)
    assert answers[0].status_code == answers[1].status_code, [a.text for a in answers]
    assert answers[0].content == answers[1].content
    return answers[0]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_fifty_clients_lose_and_duplicate_nothing(tmp_path: Path, database: str) -> None:
    with fresh_database(database, tmp_path) as url:
        settings = node_settings(tmp_path, url)
        operator = init_node(settings).secret
        env = serve_env(settings, IPRISK_WORKERS="2", IPRISK_LOCK_TIMEOUT_S="30")
        served = start_node(env, tmp_path)
        try:

            def client(i: int) -> tuple[int, int, int]:
                with httpx2.Client(base_url=served.url, timeout=600) as http:
                    http.headers["Authorization"] = f"Bearer {operator}"
                    user = _post(
                        http, "/users", f"user-{i}", json={"name": f"coord-{i}", "role": "coordinator"}
                    )
                    token = _post(http, f"/users/coord-{i}/tokens", f"token-{i}", json={"days": 1})
                    http.headers["Authorization"] = f"Bearer {token.json()['token']}"
                    name, data = _quarter_file(i)
                    files = {"file": (f"DE_{name}.csv", data, "text/csv")}
                    stored = _post(http, "/submissions", f"submit-{i}", files=files)
                    return user.status_code, token.status_code, stored.status_code

            with ThreadPoolExecutor(CLIENTS) as pool:
                statuses = list(pool.map(client, range(CLIENTS)))
        finally:
            stop_node(served)
        assert statuses == [(201, 201, 201)] * CLIENTS, served.output()[-3000:]
        with Node.open(settings) as node:
            assert sorted(u.name for u in node.accounts.users()) == sorted(
                ["operator", *(f"coord-{i}" for i in range(CLIENTS))]
            )
            assert len(node.accounts.tokens()) == CLIENTS + 1
            verification = verify_node_log(node)
            with Session(node.engine) as session:
                kinds = Counter(session.scalars(select(AuditEntryRow.kind)))
        assert verification.ok, verification.findings()
        # init: the operator and its token; each client: an account, a token, a submission; nothing twice
        expected = {"user.added": CLIENTS + 1, "token.created": CLIENTS + 1, "submission.stored": CLIENTS}
        assert kinds == expected
        with Warehouse.open(settings.warehouse) as wh:
            log = wh.submissions()
        assert len(log) == CLIENTS and log["quarter"].nunique() == CLIENTS and set(log["version"]) == {1}
