"""verify_log detects and NAMES a changed, deleted, reordered or inserted entry and a forked history."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    report = _verify(log, entries)
    assert _problems(report) == [("changed", 5, 5)] and "not an audit entry" in str(report.findings[0])


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


@settings(max_examples=60, deadline=None)
@given(size=st.integers(3, 24), every=st.integers(1, 6), data=st.data())
def test_any_single_tampering_is_named(size: int, every: int, data: st.DataObject) -> None:
    log = new_log()
    filled(log, size, checkpoint_every=every)
    entries = log.store.entries()
    kind = data.draw(st.sampled_from(["change", "delete", "insert", "swap"]))
    i = data.draw(st.integers(0, size - 2))
    if kind == "change":
        entries[i] = _edited(entries[i], actor="mallory")
        expected = [("changed", i, i)]
    elif kind == "delete":
        del entries[i]
        expected = [("deleted", i, None)]
    elif kind == "insert":
        entries.insert(i, _edited(entries[i], subject="slipped in"))
        expected = [("inserted", None, i)]
    else:
        j = data.draw(st.integers(i + 1, size - 1))
        entries[i], entries[j] = entries[j], entries[i]
        problems = _problems(_verify(log, entries))
        assert problems and all(p[0] == "reordered" and p[1] in (i, j) for p in problems), problems
        return
    assert _problems(_verify(log, entries)) == expected


def test_a_swap_names_the_two_swapped_entries_not_a_bystander() -> None:
    log = new_log()
    filled(log, 3, checkpoint_every=1)
    entries = log.store.entries()
    entries[0], entries[2] = entries[2], entries[0]
    problems = _problems(_verify(log, entries))
    assert sorted(p[1] for p in problems) == [0, 2]
    assert all(p[0] == "reordered" for p in problems)
