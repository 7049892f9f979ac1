"""Idempotency-Key on POST: replay, 422 on another payload, 409 while in progress, per caller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from iprisk.accounts import Role
from iprisk.exchange import ManualClock
from iprisk.store import IdempotencyStore
from tests.web.conftest import LiveNode


def _post_user(live: LiveNode, key: str, name: str, role: Role = Role.OPERATOR):
    headers = {**live.headers(role), "Idempotency-Key": f'"{key}"'}
    return live.client.post("/users", json={"name": name, "role": "analyst"}, headers=headers)


def test_same_key_same_payload_replays_the_first_response(live_both: LiveNode) -> None:
    first = _post_user(live_both, "k-1", "ana")
    again = _post_user(live_both, "k-1", "ana")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotency-replayed"] == "true"
    assert [u.name for u in live_both.node.accounts.users()].count("ana") == 1
    without_key = live_both.client.post(
        "/users", json={"name": "ana", "role": "analyst"}, headers=live_both.headers(Role.OPERATOR)
    )
    assert without_key.status_code == 409  # no key: the request runs, and the account exists


def test_same_key_another_payload_is_422_and_keys_are_per_caller(live_both: LiveNode) -> None:
    assert _post_user(live_both, "k-2", "ben").status_code == 201
    reused = _post_user(live_both, "k-2", "other")
    assert reused.status_code == 422 and reused.json()["type"] == "urn:iprisk:error:idempotency-key-reused"
    # another caller's identical key is another key: it runs (and is refused by the table, not replayed)
    analyst = _post_user(live_both, "k-2", "ben", Role.ANALYST)
    assert analyst.status_code == 403 and "idempotency-replayed" not in analyst.headers


def test_a_request_in_progress_is_409_until_it_times_out(live: LiveNode) -> None:
    clock = ManualClock()
    store = IdempotencyStore(live.node.engine, clock, ttl=timedelta(hours=1), timeout=timedelta(minutes=5))
    assert store.claim("caller", "k", "fp", "POST", "/users").outcome == "run"
    assert store.claim("caller", "k", "fp", "POST", "/users").outcome == "in_progress"
    assert store.claim("caller", "k", "other", "POST", "/users").outcome == "mismatch"
    clock.advance(timedelta(minutes=6))  # the first request crashed: the key may run again
    assert store.claim("caller", "k", "fp", "POST", "/users").outcome == "run"
    store.release("caller", "k")  # a server error releases the key
    assert store.claim("caller", "k", "fp", "POST", "/users").outcome == "run"
    clock.advance(timedelta(hours=2))
    assert store.purge() == 1


def test_concurrent_retries_run_the_request_once(live_both: LiveNode) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _post_user(live_both, "k-3", "cao"), range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert [u.name for u in live_both.node.accounts.users()].count("cao") == 1
    audit = live_both.client.get("/audit/entries?limit=1000", headers=live_both.headers(Role.AUDITOR))
    added = [e for e in audit.json() if '"subject":"cao"' in e["entry"]]
    assert len(added) == 1


def test_a_multipart_retry_with_another_boundary_is_the_same_payload(live: LiveNode) -> None:
    profile = (
        b"- id: P9\n  title: t\n  owner: NL\n  criteria: {hs_prefixes: ['6404']}\n  risk_level: 3\n"
        b"  control: scan\n  valid_from: 2021-01-01\n  rationale: r\n"
    )
    headers = {**live.headers(Role.ANALYST), "Idempotency-Key": "upload-1"}
    first = live.client.post(
        "/profiles", files={"file": ("p.yaml", profile, "application/yaml")}, headers=headers
    )
    again = live.client.post(
        "/profiles", files={"file": ("p.yaml", profile, "application/yaml")}, headers=headers
    )
    assert first.status_code == 200, first.text
    assert again.headers.get("idempotency-replayed") == "true" and again.json() == first.json()
    changed = live.client.post(
        "/profiles", files={"file": ("p.yaml", profile + b"#", "application/yaml")}, headers=headers
    )
    assert changed.status_code == 422
