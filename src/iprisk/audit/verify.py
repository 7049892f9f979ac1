"""Check an audit log from its entries, its checkpoints and the keys, and NAME what is wrong.

What an auditor holds: the entries (as stored bytes, in stored order), the signed checkpoints (the log's
own, and the copies its peer cosigned), the log's verifier key and the peer's. What comes out: a report
whose findings each name the problem and the entry concerned:

* **changed** — entry *i*'s bytes differ from what entry *i+1* recorded as its predecessor (or, for the
  last entries, from what a signed checkpoint covers);
* **deleted** — entry *i* is missing (its successor points to a hash no entry has, the indexes jump, or
  a checkpoint covers more entries than there are);
* **inserted** — an entry that is not part of the chain (another entry already has its index and its place);
* **reordered** — an entry found at another place than the chain puts it;
* **rewritten** — the chain is intact but differs from a signed checkpoint: the entries after the last
  matching checkpoint were re-hashed by someone without the log's key;
* **fork** — two signed checkpoints that no single history can satisfy: the log showed two histories;
* **bad-checkpoint** — a checkpoint whose signature or format does not check out.

The chain is rebuilt from the ``prev`` links (not from the stored order), so one tampering yields one
finding, and the genuine entries, put back in chain order, are checked against every checkpoint.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from iprisk.audit.checkpoint import SignedCheckpoint, open_checkpoint
from iprisk.audit.entry import GENESIS, AuditEntry
from iprisk.audit.errors import AuditError
from iprisk.audit.merkle import CompactRange, leaf_hash, verify_inclusion
from iprisk.audit.note import NoteVerifier


@dataclass(frozen=True)
class Finding:
    problem: str
    index: int | None
    position: int | None
    detail: str

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"entry {self.index}" if self.index is not None else "",
                f"(stored at position {self.position})" if self.position is not None else "",
            )
            if part
        )
        return f"{self.problem}: {where + ': ' if where else ''}{self.detail}"


@dataclass(frozen=True)
class LogReport:
    origin: str
    entries: int
    verified_size: int
    checkpoints: int
    cosigned: dict[str, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _Parsed:
    entries: dict[int, AuditEntry]  # position -> entry (decodable ones)
    leaves: list[bytes]  # position -> leaf hash
    garbled: dict[int, str] = field(default_factory=dict)  # position -> why it does not decode


def verify_log(
    entries: Sequence[bytes],
    checkpoints: Sequence[str],
    log_key: NoteVerifier,
    cosigners: Sequence[NoteVerifier] = (),
) -> LogReport:
    """Verify ``entries`` against ``checkpoints`` signed by ``log_key`` (and cosigned by ``cosigners``)."""
    findings: list[Finding] = []
    signed = _open_checkpoints(checkpoints, log_key, cosigners, findings)
    parsed = _parse(entries, findings)
    history = _rebuild_history(parsed, findings)
    damaged = min(
        (f.index for f in findings if f.problem in ("changed", "deleted") and f.index is not None),
        default=None,
    )
    intact = history if damaged is None else history[:damaged]
    verified = _check_against_checkpoints(intact, parsed, signed, len(history), findings)
    cosigned: dict[str, int] = {}
    for checkpoint in signed:
        for name in checkpoint.cosigned:
            cosigned[name] = max(cosigned.get(name, 0), checkpoint.checkpoint.size)
    return LogReport(log_key.name, len(entries), verified, len(signed), cosigned, tuple(findings))


def _open_checkpoints(
    notes: Sequence[str], log_key: NoteVerifier, cosigners: Sequence[NoteVerifier], findings: list[Finding]
) -> list[SignedCheckpoint]:
    opened: list[SignedCheckpoint] = []
    for i, note in enumerate(notes):
        try:
            checkpoint = open_checkpoint(note, log_key, cosigners)
        except AuditError as exc:
            findings.append(Finding("bad-checkpoint", None, None, f"checkpoint {i}: {exc}"))
            continue
        if checkpoint.checkpoint.origin != log_key.name:
            findings.append(Finding("bad-checkpoint", None, None, f"checkpoint {i} is of another log"))
            continue
        opened.append(checkpoint)
    by_size: dict[int, bytes] = {}
    for checkpoint in opened:
        size, root = checkpoint.checkpoint.size, checkpoint.checkpoint.root
        if by_size.setdefault(size, root) != root:
            findings.append(Finding("fork", None, None, f"two different signed roots for size {size}"))
    return opened


def _parse(entries: Sequence[bytes], findings: list[Finding]) -> _Parsed:
    parsed = _Parsed({}, [leaf_hash(e) for e in entries])
    for position, data in enumerate(entries):
        try:
            parsed.entries[position] = AuditEntry.decode(data)
        except AuditError as exc:
            parsed.garbled[position] = str(exc)
    return parsed


def _rebuild_history(parsed: _Parsed, findings: list[Finding]) -> list[int]:
    """The positions of the genuine entries in chain order; findings for whatever does not fit."""
    at_leaf = {leaf: p for p, leaf in enumerate(parsed.leaves) if p in parsed.entries}
    successors: dict[int, list[int]] = {}
    heads = []
    for position, entry in parsed.entries.items():
        predecessor = at_leaf.get(entry.prev) if entry.prev != GENESIS else None
        if predecessor is None or predecessor == position:
            heads.append(position)
        else:
            successors.setdefault(predecessor, []).append(position)
    depth = _chain_depths(heads, successors)
    segments, branches = [], set()
    stack = sorted(heads, key=lambda p: (parsed.entries[p].index, -depth[p]))
    while stack:
        segment = [stack.pop(0)]
        while successors.get(segment[-1]):
            current = parsed.entries[segment[-1]]
            options = sorted(
                successors[segment[-1]],
                key=lambda p: (parsed.entries[p].index != current.index + 1, -depth[p], p),
            )
            segment.append(options[0])
            branches.update(options[1:])
            stack.extend(options[1:])
        segments.append(segment)
    segments.sort(key=lambda s: (parsed.entries[s[0]].index, s[0] in branches, -len(s)))
    return _join_segments(segments, branches, parsed, findings)


def _chain_depths(heads: list[int], successors: dict[int, list[int]]) -> dict[int, int]:
    """Length of the longest chain from each entry (iteratively: logs are long)."""
    order, seen = [], set()
    frontier = list(heads)
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        frontier.extend(successors.get(node, []))
    depth: dict[int, int] = {}
    for node in reversed(order):
        depth[node] = 1 + max((depth[s] for s in successors.get(node, []) if s in depth), default=0)
    return depth


def _join_segments(
    segments: list[list[int]], branches: set[int], parsed: _Parsed, findings: list[Finding]
) -> list[int]:
    history: list[int] = []
    for segment in segments:
        head = parsed.entries[segment[0]]
        expected = len(history)
        if segment[0] in branches or head.index < expected:
            for position in segment:
                claimed = parsed.entries[position].index
                findings.append(
                    Finding("inserted", None, position, f"not in the chain (claims index {claimed})")
                )
            continue
        if head.index > expected:
            _report_gap(expected, head.index, max(history, default=-1), segment[0], parsed, findings)
        elif expected > 0 or head.prev != GENESIS:
            previous = history[-1] if history else None
            findings.append(
                Finding(
                    "changed",
                    expected - 1 if history else 0,
                    previous if history else segment[0],
                    "its bytes are not those its successor recorded" if history else "its link is altered",
                )
            )
        for offset, position in enumerate(segment):
            if parsed.entries[position].index != head.index + offset:
                findings.append(
                    Finding("changed", head.index + offset, position, "its index field is altered")
                )
        history.extend([-1] * (head.index - expected))  # holes for deleted entries
        history.extend(segment)
    findings.extend(Finding("changed", None, p, why) for p, why in sorted(parsed.garbled.items()))
    _report_moves(history, findings)
    return history


def _report_gap(
    expected: int, resumed: int, before: int, after: int, parsed: _Parsed, findings: list[Finding]
) -> None:
    """Indexes ``expected .. resumed - 1`` have no entry: garbled in place (changed), else deleted."""
    garbled = [p for p in sorted(parsed.garbled) if before < p < after]
    if len(garbled) == resumed - expected:
        for offset, position in enumerate(garbled):
            findings.append(Finding("changed", expected + offset, position, parsed.garbled.pop(position)))
        return
    missing = f"{expected}" if resumed == expected + 1 else f"{expected}..{resumed - 1}"
    findings.append(
        Finding("deleted", expected, None, f"entries {missing} are missing before position {after}")
    )


def _report_moves(history: list[int], findings: list[Finding]) -> None:
    """Entries whose stored position breaks the chain order: those outside a longest increasing run."""
    known = [(i, p) for i, p in enumerate(history) if p >= 0]
    tails: list[int] = []
    tail_at: list[int] = []
    parent: dict[int, int | None] = {}
    for k, (_, position) in enumerate(known):
        j = bisect_left(tails, position)
        parent[k] = tail_at[j - 1] if j else None
        if j == len(tails):
            tails.append(position)
            tail_at.append(k)
        else:
            tails[j], tail_at[j] = position, k
    in_order = set()
    step = tail_at[-1] if tail_at else None
    while step is not None:
        in_order.add(step)
        step = parent[step]
    # Several runs can be longest (a swap of entries i < j - 1 leaves every entry between them as long a run
    # as either of the two). Prefer the entries that sit where their rank puts them, when they form a longest
    # run, so that a swap names the two swapped entries and not a bystander.
    ranked = sorted(position for _, position in known)
    in_place = {k for k, (_, position) in enumerate(known) if position == ranked[k]}
    if len(in_place) == len(in_order):
        in_order = in_place
    for k, (index, position) in enumerate(known):
        if k not in in_order:
            findings.append(Finding("reordered", index, position, "stored out of its chain order"))


def _check_against_checkpoints(
    intact: list[int],
    parsed: _Parsed,
    signed: list[SignedCheckpoint],
    total: int,
    findings: list[Finding],
) -> int:
    """Compare prefix roots of the intact history with the checkpoints; the largest size verified."""
    roots: dict[int, bytes] = {0: CompactRange().root()}
    tree = CompactRange()
    for position in intact:
        if position < 0:
            break
        tree.append(parsed.leaves[position])
        roots[tree.size] = tree.root()
    matches: dict[int, bool] = {}
    for checkpoint in sorted(signed, key=lambda c: c.checkpoint.size):
        size = checkpoint.checkpoint.size
        if size in roots:
            matches[size] = roots[size] == checkpoint.checkpoint.root
        elif size > total:
            findings.append(
                Finding("deleted", total, None, f"a checkpoint covers {size} entries, only {total} are left")
            )
    sizes = sorted(matches)
    verified = max((size for size in sizes if matches[size]), default=0)
    for size in sizes:
        if matches[size]:
            continue
        if size < verified:
            findings.append(
                Finding(
                    "fork",
                    None,
                    None,
                    f"the signed root of size {size} is not a prefix of the signed root of size {verified}",
                )
            )
        else:
            start = max((s for s in sizes if s < size and matches[s]), default=0)
            where = f"entry {size - 1}" if size - start == 1 else f"entries {start}..{size - 1}"
            findings.append(
                Finding(
                    "changed" if size - start == 1 else "rewritten",
                    size - 1 if size - start == 1 else start,
                    None,
                    f"{where} differ from what the checkpoint of size {size} signed",
                )
            )
            break
    return verified


def verify_entry(
    entry: bytes, index: int, proof: Sequence[bytes], checkpoint_note: str, log_key: NoteVerifier
) -> SignedCheckpoint:
    """What a third party does with one entry: the checkpoint's signature, then the entry's inclusion in it.

    Raises :class:`~iprisk.audit.errors.AuditError` (a bad signature, or an
    :class:`~iprisk.audit.errors.InvalidProof`); returns the verified checkpoint.
    """
    checkpoint = open_checkpoint(checkpoint_note, log_key)
    verify_inclusion(leaf_hash(entry), index, checkpoint.checkpoint.size, proof, checkpoint.checkpoint.root)
    return checkpoint
