"""verify_log detects and NAMES a changed, deleted, reordered or inserted entry and a forked history."""

from __future__ import annotations

from dataclasses import replace

import pytest

from iprisk.audit import AuditEntry, AuditLog, Checkpoint, LogReport, sign_checkpoint, verify_log
from iprisk.audit.merkle import leaf_hash
from tests.audit.logs import filled, new_log, witness_of

SIZE = 20


@pytest.fixture
def log() -> AuditLog:
    log = new_log()
    filled(log, SIZE)
    return log


def _verify(log: AuditLog, entries: list[bytes], checkpoints: list[str] | None = None) -> LogReport:
    return verify_log(
        entries, log.store.checkpoints() if checkpoints is None else checkpoints, log.signer.verifier
    )


def _problems(report: LogReport) -> list[tuple[str, int | None, int | None]]:
    return [(f.problem, f.index, f.position) for f in report.findings]


def _edited(entry: bytes, **changes: object) -> bytes:
    return replace(AuditEntry.decode(entry), **changes).encode()


def test_an_untouched_log_verifies(log: AuditLog) -> None:
    report = _verify(log, log.store.entries())
    assert report.ok and report.verified_size == SIZE and report.checkpoints == 5


def test_a_changed_entry_is_named(log: AuditLog) -> None:
    entries = log.store.entries()
    entries[7] = _edited(entries[7], details={"n": 700})
    assert _problems(_verify(log, entries)) == [("changed", 7, 7)]


def test_a_changed_last_entry_is_caught_by_the_checkpoint(log: AuditLog) -> None:
    entries = log.store.entries()
    entries[-1] = _edited(entries[-1], subject="forged")
    report = _verify(log, entries)
    assert _problems(report) == [("rewritten", 16, None)] and "16..19" in str(report.findings[0])
    log.append("late", "EU", "x")  # checkpoint the very next size: the last entry is named exactly
    log.checkpoint()
    entries = log.store.entries()
    entries[-1] = _edited(entries[-1], subject="forged")
    assert _problems(_verify(log, entries)) == [("changed", SIZE, None)]


@pytest.mark.parametrize("index", [0, 7, SIZE - 1])
def test_a_deleted_entry_is_named(log: AuditLog, index: int) -> None:
    entries = log.store.entries()
    del entries[index]
    problems = _problems(_verify(log, entries))
    assert problems[0][:2] == ("deleted", index), problems
    assert all(p[0] == "deleted" for p in problems)


def test_an_inserted_entry_is_named(log: AuditLog) -> None:
    entries = log.store.entries()
    genuine = AuditEntry.decode(entries[7])
    well_linked = replace(genuine, subject="slipped in").encode()  # same index and predecessor as entry 7
    entries.insert(7, well_linked)
    assert _problems(_verify(log, entries)) == [("inserted", None, 7)]
    entries = log.store.entries()
    entries.insert(12, replace(genuine, index=12, prev=leaf_hash(b"nowhere")).encode())
    assert _problems(_verify(log, entries)) == [("inserted", None, 12)]


def test_reordered_entries_are_named(log: AuditLog) -> None:
    entries = log.store.entries()
    entries[3], entries[11] = entries[11], entries[3]
    problems = _problems(_verify(log, entries))
    assert problems and {p[0] for p in problems} == {"reordered"}
    assert {p[1] for p in problems} <= {3, 11} and {p[2] for p in problems} <= {3, 11}


def test_a_consistently_rewritten_tail_is_bounded_by_the_checkpoints(log: AuditLog) -> None:
    """Someone without the key changes entry 10 and re-hashes every later link: the chain looks whole."""
    entries = log.store.entries()
    entries[10] = _edited(entries[10], details={"n": "forged"})
    for i in range(11, SIZE):
        entries[i] = _edited(entries[i], prev=leaf_hash(entries[i - 1]))
    report = _verify(log, entries)
    assert _problems(report) == [("rewritten", 8, None)] and report.verified_size == 8


def test_a_garbled_entry_is_named(log: AuditLog) -> None:
    entries = log.store.entries()
    entries[5] = b"\x00garbage"
    problems = _problems(_verify(log, entries))
    assert ("changed", None, 5) in problems and ("changed", 4, 4) not in problems


def test_two_histories_signed_by_the_log_are_a_fork(log: AuditLog) -> None:
    other = new_log()
    other.signer = log.signer  # the same key, another history
    other.append("account.created", "EU", "someone")
    filled(other, SIZE - 1)
    report = _verify(log, log.store.entries(), [*log.store.checkpoints(), other.checkpoint()])
    assert ("fork", None, None) in _problems(report)
    # a smaller signed root that is not a prefix of the larger one
    lie = sign_checkpoint(Checkpoint(log.origin, 6, other.root(6)), log.signer)
    report = _verify(log, log.store.entries(), [*log.store.checkpoints(), lie])
    assert _problems(report) == [("fork", None, None)] and "size 6" in str(report.findings[0])


def test_bad_checkpoints_are_named_and_cosigners_reported(log: AuditLog) -> None:
    witness = witness_of(log)
    line = witness.cosign(log.checkpoint(), [], log.clock.now())
    cosigned = log.add_cosignature(SIZE, line, witness.signer.verifier)
    tampered = cosigned.replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n")
    report = verify_log(
        log.store.entries(),
        [*log.store.checkpoints(), tampered],
        log.signer.verifier,
        [witness.signer.verifier],
    )
    assert _problems(report) == [("bad-checkpoint", None, None)]
    assert report.cosigned == {"iprisk.cn/witness": SIZE}
