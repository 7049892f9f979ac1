"""The RFC 9162 (Certificate Transparency 2.0, same tree as RFC 6962) Merkle tree: hashes, proofs, checks.

Leaf hash ``SHA-256(0x00 || d)``, interior node ``SHA-256(0x01 || left || right)``, the empty tree's root
``SHA-256("")``. Proof generation follows the recursive definitions of RFC 9162 section 2.1.3.1 (PATH) and
2.1.4.1 (PROOF / SUBPROOF) over a function giving the hash of any subtree; verification follows the
algorithms of sections 2.1.3.2 and 2.1.4.2 step by step. Hashes are raw 32-byte strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from iprisk.audit.errors import InvalidProof

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: the Merkle tree hash of leaves ``[start, end)`` of the log, ``end > start``
SubtreeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves ``[0, size)``: append in O(1) amortised, root in
    O(log n). Used to compute the root of a prefix of a log without storing the tree."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (number of leaves, hash), largest first

    def append(self, leaf: bytes) -> None:
        width, node = 1, leaf
        while self._peaks and self._peaks[-1][0] == width:
            node = node_hash(self._peaks.pop()[1], node)
            width *= 2
        self._peaks.append((width, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        root = self._peaks[-1][1]
        for _, peak in reversed(self._peaks[:-1]):
            root = node_hash(peak, root)
        return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of the given leaf hashes."""
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf {index} is not in a tree of size {size}")
    return _path(index, 0, size, subtree)


def _path(m: int, start: int, n: int, subtree: SubtreeHash) -> list[bytes]:
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*_path(m, start, k, subtree), subtree(start + k, start + n)]
    return [*_path(m - k, start + k, n - k, subtree), subtree(start, start + k)]


def consistency_proof(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 section 2.1.4.1 (empty when the sizes are equal)."""
    if not 0 < old_size <= new_size:
        raise InvalidProof(f"no consistency proof from size {old_size} to size {new_size}")
    return _subproof(old_size, 0, new_size, True, subtree)


def _subproof(m: int, start: int, n: int, complete: bool, subtree: SubtreeHash) -> list[bytes]:
    if m == n:
        return [] if complete else [subtree(start, start + n)]
    k = split_point(n)
    if m <= k:
        return [*_subproof(m, start, k, complete, subtree), subtree(start + k, start + n)]
    return [*_subproof(m - k, start + k, n - k, False, subtree), subtree(start, start + k)]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 section 2.1.3.2: raise :class:`InvalidProof` unless ``leaf`` is leaf ``index`` of ``root``."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes([leaf, root], "leaf or root")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProof("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise InvalidProof(f"inclusion proof of leaf {index} does not lead to the root of size {size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2: raise :class:`InvalidProof` unless the tree of ``old_size`` and
    ``old_root`` is a prefix of the tree of ``new_size`` and ``new_root``.

    As in the reference verifier of the test vectors: a proof from the empty tree proves nothing and is
    refused; equal sizes need equal roots and an empty proof.
    """
    if old_size <= 0 or old_size > new_size:
        raise InvalidProof(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == new_size:
        if proof:
            raise InvalidProof("equal sizes need an empty consistency proof")
        if old_root != new_root:
            raise InvalidProof(f"two different roots for size {old_size}")
        return
    if not proof:
        raise InvalidProof("empty consistency proof")
    _check_hashes([old_root, new_root], "root")
    _check_hashes(proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("consistency proof is shorter than needed")
    if fr != old_root:
        raise InvalidProof(f"consistency proof does not lead to the old root of size {old_size}")
    if sr != new_root:
        raise InvalidProof(f"consistency proof does not lead to the new root of size {new_size}")


def _check_hashes(hashes: Sequence[bytes], what: str = "proof element") -> None:
    for i, node in enumerate(hashes):
        if not isinstance(node, bytes) or len(node) != HASH_SIZE:
            raise InvalidProof(f"{what} {i} is not a {HASH_SIZE}-byte hash")
