"""Audit checkpoints between the nodes: each node sends its signed checkpoints, the peer cosigns them (it is
the log's witness) and sends the cosignature back; neither node can later show two histories.

**Sender** (a source of the delivery worker, every ``checkpoint_interval_s`` while the log grows): the node
signs a checkpoint of its audit log (:meth:`iprisk.store.AuditTrail.checkpoint`) and sends it as an
``audit.checkpoint`` message with consistency proofs from every size the witness may have cosigned last (the
largest size it cosigned, as the cosignatures received say, and every size sent since: messages may arrive
out of order), and the log's verifier key.

**Witness** (the peer): it checks the log's signature (the log key is learnt from the first checkpoint,
vouched for by the message's signature, and must not change after), refuses a checkpoint that does not
extend the one it cosigned last (:class:`iprisk.audit.ForkDetected`: the log showed it two histories; the
message is refused with that reason), ignores an older one that arrived late, and otherwise cosigns it (C2SP
tlog-cosignature with its witness key) and sends the cosignature back as an ``audit.cosignature`` message,
in the same unit of work as its witness state.

**Back at the log**: the cosignature is checked and kept with the checkpoint (``iprisk audit verify`` checks
it with the peer's witness key, which the card and the message vouch for).
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from iprisk.audit import AuditError, Checkpoint, NoteVerifier, Witness, open_checkpoint
from iprisk.errors import InvalidInput, Problem
from iprisk.exchange import Opened
from iprisk.exchange._encoding import canonical_json
from iprisk.link.kinds import Kind, register, register_source
from iprisk.store import SqlWitnessState
from iprisk.store.db import utc

if TYPE_CHECKING:
    from iprisk.link.context import Link
    from iprisk.store import Peer

CHECKPOINT_KIND = "audit.checkpoint"
COSIGNATURE_KIND = "audit.cosignature"


def _sent_sizes(link: Link, peer: str) -> dict[int, Any]:
    """The sizes of the checkpoints sent to ``peer`` and when they were queued."""
    from iprisk.store.channel import OutgoingRow

    prefix = f"{CHECKPOINT_KIND}/{peer}/"
    with link.node.engine.connect() as connection:
        rows = connection.execute(
            select(OutgoingRow.key, OutgoingRow.created).where(OutgoingRow.key.like(f"{prefix}%"))
        )
        return {int(str(key)[len(prefix) :]): utc(created) for key, created in rows}


def _cosigned_size(notes: list[str], log_key: NoteVerifier, witness: NoteVerifier | None) -> int:
    """The largest size of our log that the peer's witness cosigned (0 when none)."""
    if witness is None:
        return 0
    sizes = [0]
    for note in notes:
        try:
            signed = open_checkpoint(note, log_key, [witness])
        except AuditError:
            continue
        if witness.name in signed.cosigned:
            sizes.append(signed.checkpoint.size)
    return max(sizes)


def sync_checkpoints(link: Link) -> list[str]:
    """Send the audit log's checkpoint to each peer when the interval has passed and the log grew."""
    if link.node.audit is None or link.node.audit_keys is None:
        return []
    interval = timedelta(seconds=link.node.settings.checkpoint_interval_s)
    now = link.clock.now()
    queued = []
    for node, peer in sorted(link.peer_book.peers().items()):
        sent = _sent_sizes(link, node)
        if sent and now - max(sent.values()) < interval:
            continue
        with link.store.transaction() as tx:
            log = link.node.audit.log(tx.session)
            if log.size == 0 or log.size in sent:
                continue
            note = link.node.audit.checkpoint(tx.session)
            size = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n").size
            log_key = link.node.audit_keys.log.verifier
            witness = NoteVerifier.from_vkey(peer.witness_vkey) if peer.witness_vkey else None
            cosigned = _cosigned_size(log.store.checkpoints(), log_key, witness)
            bases = sorted({cosigned, *(s for s in sent if s > cosigned)} - {size})
            proofs = {
                str(base): [base64.b64encode(h).decode("ascii") for h in log.consistency_proof(base, size)]
                for base in bases
                if 0 < base < size
            }
            body = {"note": note, "proofs": proofs, "log_vkey": log_key.vkey}
            key = f"{CHECKPOINT_KIND}/{node}/{size}"
            link.send(tx, CHECKPOINT_KIND, node, canonical_json(body), key=key)
            queued.append(key)
    return queued


def _body(opened: Opened, fields: tuple[str, ...]) -> dict[str, Any]:
    source = f"{opened.message.sender} message {opened.message.id}"
    try:
        body = json.loads(opened.message.payload)
        missing = [f for f in fields if f not in body]
    except (ValueError, TypeError):
        body, missing = {}, list(fields)
    if missing or not isinstance(body, dict):
        problems = [Problem("audit_message", "missing from the message", column=f) for f in missing]
        raise InvalidInput(problems or [Problem("audit_message", "not a JSON object")], source=source)
    return body


def _learn(link: Link, tx: Any, peer: Peer, field: str, vkey: str) -> NoteVerifier:
    """The peer's audit key named in ``field``: the one pinned, or the one this message vouches for, pinned
    now (a different one from the one pinned is refused)."""
    pinned = getattr(peer, field)
    if pinned is not None and pinned != vkey:
        raise AuditError(f"{peer.node}'s {field} is {pinned.split('+')[0]}, not the key this message names")
    if pinned is None:
        learnt = replace(peer, log_vkey=vkey) if field == "log_vkey" else replace(peer, witness_vkey=vkey)
        link.peer_book.save(tx.connection, replace(learnt, updated_at=link.clock.now()))
    return NoteVerifier.from_vkey(vkey)


def _cosign(link: Link, tx: Any, opened: Opened) -> None:
    body = _body(opened, ("note", "proofs", "log_vkey"))
    sender = opened.message.sender
    peer = link.peer_book.get(sender, tx.connection)
    log_key = _learn(link, tx, peer, "log_vkey", str(body["log_vkey"]))
    note = str(body["note"])
    checkpoint = open_checkpoint(note, log_key).checkpoint
    if checkpoint.origin != log_key.name:
        raise AuditError(
            f"the checkpoint is of log {checkpoint.origin!r}, {sender}'s log is {log_key.name!r}"
        )
    state = SqlWitnessState(tx.connection)
    latest = state.latest(checkpoint.origin)
    if latest is not None and checkpoint.size < latest.size:
        return  # an older checkpoint that arrived late: the newer one is cosigned already
    base = latest.size if latest is not None else 0
    proof = [base64.b64decode(h) for h in body["proofs"].get(str(base), [])]
    line = Witness(link.node.audit_keys.witness, [log_key], state).cosign(note, proof, link.clock.now())
    reply = {
        "size": checkpoint.size,
        "line": line,
        "witness_vkey": link.node.audit_keys.witness.verifier.vkey,
    }
    key = f"{COSIGNATURE_KIND}/{sender}/{checkpoint.size}"
    link.send(tx, COSIGNATURE_KIND, sender, canonical_json(reply), key=key)
    link.observe(tx, "audit.cosigned", checkpoint.origin, {"size": checkpoint.size, "peer": sender})


def _keep_cosignature(link: Link, tx: Any, opened: Opened) -> None:
    body = _body(opened, ("size", "line", "witness_vkey"))
    peer = link.peer_book.get(opened.message.sender, tx.connection)
    witness = _learn(link, tx, peer, "witness_vkey", str(body["witness_vkey"]))
    link.node.audit.log(tx.session).add_cosignature(int(body["size"]), str(body["line"]), witness)
    link.observe(tx, "audit.cosignature", witness.name, {"size": int(body["size"]), "peer": peer.node})


register(
    Kind(CHECKPOINT_KIND, "A signed checkpoint of the sender's audit log, with proofs, to cosign.", _cosign)
)
register(Kind(COSIGNATURE_KIND, "The peer's cosignature of one of our audit checkpoints.", _keep_cosignature))
register_source(CHECKPOINT_KIND, sync_checkpoints)
