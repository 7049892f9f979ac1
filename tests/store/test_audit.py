"""The audit log in the operational database: same-transaction appends, serialised across writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from iprisk.audit import NoteSigner, open_checkpoint, verify_log
from iprisk.exchange import SystemClock
from iprisk.store import AuditTrail, SqlLogStore, connect


@pytest.fixture
def engine(store_database_url: str) -> Engine:
    engine = connect(store_database_url)
    yield engine
    engine.dispose()


def _trail(every: int = 100) -> AuditTrail:
    return AuditTrail(
        NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate()), SystemClock(), checkpoint_every=every
    )


def test_an_entry_commits_or_rolls_back_with_its_transaction(engine: Engine) -> None:
    trail = _trail()
    with Session(engine) as session, session.begin():
        trail.record(session, "user.added", "root", "alice", {"role": "analyst"})
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        trail.record(session, "user.added", "root", "bob", {"role": "analyst"})
        raise RuntimeError("the state change failed after its entry was appended")
    with Session(engine) as session:
        store = SqlLogStore(session)
        assert store.size() == 1
        assert b'"subject":"alice"' in store.entry(0)
        with pytest.raises(KeyError):
            store.node(0, 1)  # the rolled-back entry left no tree node behind


def test_concurrent_writers_number_entries_without_gaps(engine: Engine) -> None:
    """Eight threads with their own connections append 25 entries each: 200 entries, one chain, no gap."""
    trail = _trail(every=16)

    def write(worker: int) -> None:
        for n in range(25):
            with Session(engine) as session, session.begin():
                trail.record(session, "test.write", f"worker-{worker}", f"n-{n}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    with Session(engine) as session:
        checkpoint = trail.checkpoint(session)
        session.commit()
    with Session(engine) as session:
        store = SqlLogStore(session)
        entries, checkpoints = store.entries(), store.checkpoints()
    assert len(entries) == 200
    assert len(checkpoints) == 200 // 16 + 1
    assert open_checkpoint(checkpoint, trail.signer.verifier).checkpoint.size == 200
    report = verify_log(entries, checkpoints, trail.signer.verifier)
    assert report.ok, [str(f) for f in report.findings]
    assert report.verified_size == 200


def test_a_checkpoint_is_replaced_by_its_cosigned_version(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        store = SqlLogStore(session)
        store.put_checkpoint(3, "first\n")
        store.put_checkpoint(1, "one\n")
        store.put_checkpoint(3, "first, cosigned\n")
    with Session(engine) as session:
        store = SqlLogStore(session)
        assert store.checkpoint(3) == "first, cosigned\n" and store.checkpoint(2) is None
        assert store.checkpoints() == ["one\n", "first, cosigned\n"]


def test_entries_recorded_together_make_the_same_log_as_one_by_one(engine: Engine) -> None:
    """A batch's entries appended in three statements: the same numbering, tree, roots and checkpoint sizes
    as the same entries recorded one at a time, across a checkpoint and mixed with single records."""
    trail = _trail(every=8)
    with Session(engine) as session, session.begin():
        trail.record(session, "node.started", "operator", "EU")
        indexes = trail.record_many(
            session.connection(), [("message.sent", "EU", f"m-{n}", {"n": n}) for n in range(12)]
        )
        trail.record(session, "node.stopped", "operator", "EU")
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        trail.record_many(session.connection(), [("message.sent", "EU", "lost", None)] * 3)
        raise RuntimeError("the batch failed: its entries go with it")
    assert indexes == list(range(1, 13))
    with Session(engine) as session:
        notes = SqlLogStore(session).checkpoints()
        assert [open_checkpoint(n, trail.signer.verifier).checkpoint.size for n in notes] == [8]
        trail.checkpoint(session)  # signed at the entry that completed 8, inside the batch; now the whole log
        session.commit()
    with Session(engine) as session:
        store = SqlLogStore(session)
        entries, checkpoints = store.entries(), store.checkpoints()
    assert len(entries) == 14 and b'"subject":"m-11"' in entries[12]
    report = verify_log(entries, checkpoints, trail.signer.verifier)
    assert report.ok and report.verified_size == 14, [str(f) for f in report.findings]
