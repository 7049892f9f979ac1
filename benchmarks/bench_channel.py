"""The channel and the audit log: cryptographic cost against plain serialisation, Merkle throughput, and the
delivery property and tampering campaign at benchmark scale.

* seal + open (Ed25519 JWS inside an ECDH-ES/X25519 + A256GCM JWE) per second, against ``json.dumps`` +
  ``json.loads`` of the same message (payload in base64): what the security costs per message;
* receipts signed + verified per second, against the same receipt body through JSON;
* audit log appends per second (entry encoded, leaf and completed subtrees hashed, stored), against appending
  the same bytes to a plain SHA-256 hash chain; inclusion proofs made + verified per second on a log of
  100,000 entries, against checking an entry by recomputing the root from every leaf;
* the Hypothesis delivery machine (drops, duplicates, reordering, delays, crashes) at >= 10,000 schedules;
* the tampering campaign: cases tried and refused.

Run alone: ``python -m benchmarks channel`` (``SCHEDULES`` below sets the number of delivery schedules).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEDULES = 10_000
LOG_SIZE = 100_000
_SMALL = 1024
_LARGE = 1024 * 1024


def _rate(work: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second of ``work``: best of three rounds of about ``seconds`` (the machine is shared)."""
    work()
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            work()
            count += 1
        best = max(best, count / elapsed)
    return best


def _row(name: str, value: float, unit: str, baseline: float | None = None, **extra: Any) -> dict[str, Any]:
    ratio = round(value / baseline, 4) if baseline else None
    return {
        "name": name,
        "value": round(value, 1),
        "unit": unit,
        "baseline": baseline and round(baseline, 1),
        "ratio": ratio,
        "target": extra.pop("target", None),
        "ok": extra.pop("ok", True),
        **extra,
    }


def seal_rows(seconds: float = 1.0) -> list[dict[str, Any]]:
    from tests.exchange.nodes import TTL, Pair

    from iprisk.exchange import Message, open_sealed, seal

    pair = Pair()
    rows = []
    for size in (_SMALL, _LARGE):
        payload = (b"DE,2026Q1,CN,HK,trademark,clothing,3\n" * (size // 37 + 1))[:size]
        message = Message.new(
            "stats", "EU", "CN", payload, now=pair.clock.now(), ttl=TTL, content_type="text/csv"
        )
        peer, peers = pair.cn_ring.current(pair.clock.now()), {"EU": pair.eu_ring}

        def ours(message: Message = message, peer: Any = peer, peers: Any = peers) -> None:
            open_sealed(seal(message, pair.eu.current, peer).wire, pair.cn, peers, pair.clock.now())

        def plain(message: Message = message) -> None:
            fields = {
                "id": message.id,
                "kind": message.kind,
                "sender": "EU",
                "recipient": "CN",
                "payload": base64.b64encode(message.payload).decode("ascii"),
            }
            json.loads(json.dumps(fields))

        ours_rate, plain_rate = _rate(ours, seconds), _rate(plain, seconds)
        rows.append(
            _row(
                f"seal + open, {size:,}-byte payload (vs JSON dumps + loads)", ours_rate, "msg/s", plain_rate
            )
        )
    return rows


def receipt_rows(seconds: float = 1.0) -> list[dict[str, Any]]:
    from tests.exchange.nodes import Pair

    from iprisk.exchange import Receipt, new_message_id, sign_receipt, verify_receipt

    pair = Pair()
    receipt = Receipt(new_message_id(), "A" * 43, "EU", "CN", pair.clock.now(), "accepted")
    rings = {"CN": pair.cn_ring}

    def ours() -> None:
        verify_receipt(sign_receipt(receipt, pair.cn.current), rings, pair.clock.now())

    def plain() -> None:
        json.loads(receipt.body())

    return [
        _row(
            "receipt sign + verify (vs JSON of the same body)",
            _rate(ours, seconds),
            "receipts/s",
            _rate(plain, seconds),
        )
    ]


def audit_rows(log_size: int = LOG_SIZE, seconds: float = 1.0) -> list[dict[str, Any]]:
    import hashlib

    from tests.audit.logs import new_log

    from iprisk.audit import leaf_hash, root_of, verify_inclusion

    log = new_log()
    start = time.perf_counter()
    for i in range(log_size):
        log.append("message.sent", "EU", f"message-{i}", {"n": i})
    append_rate = log_size / (time.perf_counter() - start)
    entries = log.store.entries()
    start, chain = time.perf_counter(), b""
    for entry in entries:
        chain = hashlib.sha256(chain + entry).digest()
    chain_rate = log_size / (time.perf_counter() - start)
    root = log.root()
    probe = iter(range(0, 10**9, 7919))

    def prove() -> None:
        index = next(probe) % log_size
        verify_inclusion(leaf_hash(entries[index]), index, log_size, log.inclusion_proof(index), root)

    def recompute() -> None:
        assert root_of(leaf_hash(e) for e in entries) == root

    return [
        _row(
            f"audit append, {log_size:,} entries (vs a plain SHA-256 hash chain)",
            append_rate,
            "entries/s",
            chain_rate,
        ),
        _row(
            f"inclusion proof made + verified, log of {log_size:,} (vs recomputing the root)",
            _rate(prove, seconds),
            "proofs/s",
            _rate(recompute, seconds / 4),
        ),
    ]


def delivery_rows(
    schedules: int = SCHEDULES, stores: tuple[str, ...] = ("memory", "sqlite")
) -> list[dict[str, Any]]:
    """The delivery machine at ``schedules`` schedules on each store (the in-memory one, and the SQL store on
    SQLite: the same state machine against the operational database)."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test
    from tests.exchange.backends import make_backend
    from tests.exchange.delivery_machine import machine_on

    rows = []
    for store in stores:
        backend = make_backend(store)
        machine = machine_on(backend)
        start = time.perf_counter()
        try:
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=schedules,
                    stateful_step_count=40,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                ),
            )
        finally:
            if hasattr(backend, "close"):
                backend.close()
        elapsed = time.perf_counter() - start
        rows.append(
            _row(
                f"delivery property ({store} store): schedules run, every message applied once, none lost",
                machine.runs,
                "schedules",
                target=schedules,
                ok=machine.runs >= schedules,
                seconds=round(elapsed, 1),
            )
        )
    return rows


def tamper_rows() -> list[dict[str, Any]]:
    from tests.exchange.tamper import run_campaign

    return [
        _row(
            f"tampering refused: {kind} ({tally.tried} tried)",
            tally.refused,
            "refused",
            target=tally.tried,
            ok=tally.refused == tally.tried,
            errors=dict(tally.errors),
        )
        for kind, tally in run_campaign().items()
    ]


def run(out: Path, schedules: int = SCHEDULES, log_size: int = LOG_SIZE, seconds: float = 1.0) -> list[dict]:
    del out  # nothing to write: every figure is a row
    return [
        *seal_rows(seconds),
        *receipt_rows(seconds),
        *audit_rows(log_size, seconds),
        *tamper_rows(),
        *delivery_rows(schedules),
    ]


if __name__ == "__main__":
    import sys

    for row in run(Path("bench-out"), schedules=int(sys.argv[1]) if len(sys.argv) > 1 else SCHEDULES):
        print(row)
