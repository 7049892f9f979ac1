"""The Merkle tree against the public RFC 6962/9162 proof vectors, and against the RFC's definitions."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iprisk.audit.errors import InvalidProof
from iprisk.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from iprisk.settings import get_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vectors() -> Path:
    """The vectors folder; missing data FAILS the test (CI lays ../shared beside the clone)."""
    folder = get_settings().merkle_vectors
    folder = folder if folder.is_absolute() else (REPO / folder).resolve()
    if not (folder / "inclusion").is_dir() or not (folder / "consistency").is_dir():
        pytest.fail(f"Merkle proof vectors not found in {folder}: set IPRISK_MERKLE_VECTORS")
    return folder


def _cases(folder: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(p.relative_to(folder)), json.loads(p.read_text()))
        for p in sorted((folder / kind).rglob("*.json"))
    ]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def _decided_wrongly(cases: list[tuple[str, dict[str, Any]]], check: Any) -> list[str]:
    """Names of the cases where ``check(case)`` accepted a corrupted proof or refused a valid one."""
    wrong = []
    for name, case in cases:
        try:
            check(case)
            accepted = True
        except InvalidProof:
            accepted = False
        if accepted == case["wantErr"]:
            wrong.append(name)
    return wrong


def test_every_vector_file_is_one_of_the_two_kinds(vectors: Path) -> None:
    every = len(list(vectors.rglob("*.json")))
    assert every == len(_cases(vectors, "inclusion")) + len(_cases(vectors, "consistency")) >= 190


def test_every_inclusion_vector(vectors: Path) -> None:
    cases = _cases(vectors, "inclusion")
    assert len(cases) >= 80
    assert sum(not c["wantErr"] for _, c in cases) >= 6 and sum(c["wantErr"] for _, c in cases) >= 70
    wrong = _decided_wrongly(
        cases,
        lambda c: verify_inclusion(
            _b64(c["leafHash"]), c["leafIdx"], c["treeSize"], _proof(c), _b64(c["root"])
        ),
    )
    assert not wrong, f"inclusion vectors decided wrongly: {wrong}"


def test_every_consistency_vector(vectors: Path) -> None:
    cases = _cases(vectors, "consistency")
    assert len(cases) >= 80
    wrong = _decided_wrongly(
        cases,
        lambda c: verify_consistency(c["size1"], c["size2"], _b64(c["root1"]), _b64(c["root2"]), _proof(c)),
    )
    assert not wrong, f"consistency vectors decided wrongly: {wrong}"


def test_our_proofs_reproduce_the_vectors(vectors: Path) -> None:
    """The happy paths are proofs over RFC 6962's reference tree of leaves "", 0x00, 0x10...: rebuild it."""
    leaves = [
        leaf_hash(bytes.fromhex(h))
        for h in (
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        )
    ]
    for name, c in _cases(vectors, "inclusion"):
        if c["desc"] == "happy path" and c["treeSize"] <= len(leaves):
            tree = leaves[: c["treeSize"]]
            assert root_of(tree) == _b64(c["root"]), name
            assert inclusion_proof(c["leafIdx"], c["treeSize"], _subtree(tree)) == _proof(c), name
    for name, c in _cases(vectors, "consistency"):
        if c["desc"] == "happy path" and c["size2"] <= len(leaves):
            tree = leaves[: c["size2"]]
            assert consistency_proof(c["size1"], c["size2"], _subtree(tree)) == _proof(c), name


# --- against the RFC's recursive definitions, on random trees -------------------------------------------


def _mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 section 2.1.1, written as defined (recursion), the reference for the fast code."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _subtree(leaves: list[bytes]) -> Any:
    return lambda start, end: _mth(leaves[start:end])


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_proofs_verify_and_any_change_is_refused(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    root = _mth(leaves)
    assert root_of(leaves) == root and root_of([]) == EMPTY_ROOT
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, _subtree(leaves))
    verify_inclusion(leaves[index], index, size, proof, root)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaf_hash(b"other"), index, size, proof, root)
    if proof:
        bad = data.draw(st.integers(0, len(proof) - 1))
        tampered = [*proof[:bad], bytes([proof[bad][0] ^ 1]) + proof[bad][1:], *proof[bad + 1 :]]
        with pytest.raises(InvalidProof):
            verify_inclusion(leaves[index], index, size, tampered, root)
    old = data.draw(st.integers(1, size))
    proof = consistency_proof(old, size, _subtree(leaves))
    verify_consistency(old, size, _mth(leaves[:old]), root, proof)
    if old < size:
        with pytest.raises(InvalidProof):
            verify_consistency(old, size, _mth([*leaves[: old - 1], leaf_hash(b"x")]), root, proof)
