"""Conformance suite of the audit log: every test runs on each LogStore (see tests/audit/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from iprisk.audit import (
    AuditEntry,
    AuditError,
    Checkpoint,
    ForkDetected,
    InvalidProof,
    LogStore,
    MalformedEntry,
    open_checkpoint,
    root_of,
    verify_consistency,
    verify_entry,
)
from iprisk.audit.merkle import leaf_hash
from tests.audit.logs import filled, new_log, witness_of


def test_append_checkpoint_and_prove(log_store: LogStore) -> None:
    log = new_log(store=log_store)
    filled(log, 13)
    entries = log.store.entries()
    assert log.size == 13 and log.root() == root_of(leaf_hash(e) for e in entries)
    checkpoint = open_checkpoint(log.checkpoint(), log.signer.verifier).checkpoint
    assert checkpoint == Checkpoint("iprisk.eu/audit", 13, log.root())
    for index in range(13):
        verify_entry(entries[index], index, log.inclusion_proof(index), log.checkpoint(), log.signer.verifier)
    for old in range(1, 14):
        verify_consistency(old, 13, log.root(old), log.root(), log.consistency_proof(old))
    with pytest.raises(InvalidProof):
        verify_entry(entries[3], 4, log.inclusion_proof(4), log.checkpoint(), log.signer.verifier)
    with pytest.raises(AuditError):
        log.root(14)


def test_entries_chain_to_their_predecessor(log_store: LogStore) -> None:
    log = new_log(store=log_store)
    filled(log, 3)
    first, second = (AuditEntry.decode(e) for e in log.store.entries()[:2])
    assert (first.index, second.index) == (0, 1)
    assert first.prev == bytes(32) and second.prev == leaf_hash(log.store.entry(0))
    assert second.details == {"n": 1} and second.kind == "message.sent"
    with pytest.raises(MalformedEntry):
        AuditEntry.decode(b'{"index": 1}')
    with pytest.raises(MalformedEntry, match="plain JSON"):
        log.append("x", "EU", "s", {"bad": float("nan")})


def test_the_peer_cosigns_growth_and_refuses_a_fork(log_store: LogStore) -> None:
    log = new_log(store=log_store)
    witness = witness_of(log)
    now = log.clock.now()
    filled(log, 5)
    first = log.checkpoint()
    log.add_cosignature(5, witness.cosign(first, [], now), witness.signer.verifier)
    filled(log, 4)
    second = log.checkpoint()
    cosigned = log.add_cosignature(
        9, witness.cosign(second, log.consistency_proof(5), now), witness.signer.verifier
    )
    assert open_checkpoint(cosigned, log.signer.verifier, [witness.signer.verifier]).cosigned == {
        "iprisk.cn/witness": int(now.timestamp())
    }
    # the same log key signs another history of size 12 that does not extend size 9
    forked = new_log()
    forked.signer = log.signer
    filled(forked, 12)
    with pytest.raises(ForkDetected, match="does not extend"):
        witness.cosign(forked.checkpoint(), forked.consistency_proof(9), now + timedelta(hours=1))
    with pytest.raises(ForkDetected, match="older"):
        witness.cosign(log.checkpoint() if log.size < 9 else first, [], now)


def test_a_cosignature_must_verify_before_it_is_kept(log_store: LogStore) -> None:
    log = new_log(store=log_store)
    filled(log, 2)
    witness = witness_of(log)
    line = witness.cosign(log.checkpoint(), [], log.clock.now())
    with pytest.raises(AuditError):
        log.add_cosignature(2, line.replace(line.split(" ")[-1][:8], "AAAAAAAA"), witness.signer.verifier)
    with pytest.raises(AuditError, match="no checkpoint"):
        log.add_cosignature(7, line, witness.signer.verifier)
