"""The receiver's side of delivery: an idempotent inbox keyed by message id.

A message that checks out is applied once: its effect runs in the same unit of work as the inbox row and
the receipt, so either all three are committed or none. A duplicate (a retry, a replay) gets the stored
receipt, byte for byte, and is not applied again. What cannot be authenticated is recorded as a refusal and
raises; what is authenticated but refused (expired, no handler for its kind, refused by its effect) gets a
signed "refused" receipt, so that the sender stops retrying.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from iprisk.errors import IpriskError
from iprisk.exchange._encoding import sha256_b64url
from iprisk.exchange.clock import Clock
from iprisk.exchange.envelope import Opened, check_fresh, open_sealed
from iprisk.exchange.errors import ChannelError, RetiredKey, RevokedKey, UnknownKey
from iprisk.exchange.keyring import KeyRing
from iprisk.exchange.keys import NodeIdentity
from iprisk.exchange.receipts import Receipt, sign_receipt
from iprisk.exchange.store import (
    ChannelObserver,
    ChannelStore,
    ChannelTransaction,
    IncomingMessage,
    Refusal,
    no_observer,
)

#: applies a message; receives the unit of work (the store's transaction) and the opened message. Raising an
#: IpriskError refuses the message for good (signed "refused" receipt); any other exception is transient
#: (nothing is committed, no receipt, the sender retries).
Effect = Callable[[Any, Opened], None]


class Inbox:
    def __init__(
        self,
        store: ChannelStore,
        identity: NodeIdentity,
        peers: Mapping[str, KeyRing],
        clock: Clock,
        effects: Mapping[str, Effect],
        *,
        observer: ChannelObserver | None = None,
    ):
        self.store = store
        self.identity = identity
        self.peers = peers
        self.clock = clock
        self.effects = effects
        self.observe: ChannelObserver = observer or no_observer

    def receive(self, wire: str | bytes) -> str:
        """Open, apply once and receipt a sealed message; the receipt token to answer the sender with.

        Raises the ``ChannelError`` that refused it unauthenticated (recorded), or the transient failure
        that kept it from being applied (nothing committed: the sender retries)."""
        answer = self.receive_many([wire])[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def receive_many(self, wires: Sequence[str | bytes]) -> list[str | Exception]:
        """Open, apply once and receipt several messages; per message, in order, the receipt or the error
        that stopped it (a ``ChannelError`` for what was refused unauthenticated, any other exception for a
        transient failure: the sender retries those).

        The messages are opened (decrypted, verified) outside any unit of work, then applied in one: each in
        a savepoint of its own, so that one message's refusal or failure undoes only its own writes, and one
        commit makes them all durable. No receipt is answered before that commit. A message whose key is not
        known yet may be preceded in the batch by the rotation that announces it: the messages before it are
        committed first, and it is opened again.
        """
        answers: list[str | Exception | None] = [None] * len(wires)
        pending: list[tuple[int, Opened]] = []
        refusals: list[tuple[int, str | bytes, ChannelError]] = []
        now = self.clock.now()
        for i, wire in enumerate(wires):
            try:
                pending.append((i, open_sealed(wire, self.identity, self.peers, now)))
                continue
            except (UnknownKey, RetiredKey, RevokedKey) as exc:
                if not pending:
                    refusals.append((i, wire, exc))
                    continue
            except ChannelError as exc:
                refusals.append((i, wire, exc))
                continue
            self._apply_all(pending, refusals, answers, now)  # what came before may change the key rings
            pending, refusals = [], []
            try:
                pending.append((i, open_sealed(wire, self.identity, self.peers, now)))
            except ChannelError as exc:
                refusals.append((i, wire, exc))
        self._apply_all(pending, refusals, answers, now)
        return [a if a is not None else RuntimeError("not answered") for a in answers]

    def _apply_all(
        self,
        pending: list[tuple[int, Opened]],
        refusals: list[tuple[int, str | bytes, ChannelError]],
        answers: list[str | Exception | None],
        now: datetime,
    ) -> None:
        if not pending and not refusals:
            return
        done: dict[int, str | Exception] = {}
        try:
            with self.store.transaction() as tx:
                for i, wire, exc in refusals:
                    self._record_refusal(tx, wire, exc, now)
                    done[i] = exc
                done |= self._apply_batch(tx, pending, now)
        except Exception as exc:  # the commit failed: nothing of this run is durable, nothing receipted
            done = {i: exc for i in [p[0] for p in pending] + [r[0] for r in refusals]}
        for i, answer in done.items():
            answers[i] = answer

    def _apply_batch(
        self, tx: ChannelTransaction, pending: list[tuple[int, Opened]], now: datetime
    ) -> dict[int, str | Exception]:
        """Apply the new messages of a batch and record them with their receipts, in ``tx``: a message seen
        before (stored, or earlier in the batch) gets its receipt again and is not applied twice."""
        # in id order: concurrent batches lock the same messages in the same order
        ordered = sorted(pending, key=lambda p: p[1].message.id)
        stored = {i: m.receipt for i, m in tx.get_incomings([o.message.id for _, o in ordered]).items()}
        first: dict[str, int] = {}  # message id -> the position of its first copy in the batch
        fresh: list[tuple[int, Opened]] = []
        for i, opened in ordered:
            if opened.message.id not in stored and opened.message.id not in first:
                first[opened.message.id] = i
                fresh.append((i, opened))
        decided = self._decide(tx, fresh, now)
        records: list[IncomingMessage] = []
        done: dict[int, str | Exception] = {}
        for i, opened in fresh:
            outcome = decided[i]
            if isinstance(outcome, Exception):
                done[i] = outcome
                continue
            records.append(self._record(tx, opened, now, outcome))
            done[i] = records[-1].receipt
        tx.add_incomings(records)
        for i, opened in ordered:
            if i not in done:
                done[i] = stored.get(opened.message.id) or done[first[opened.message.id]]
        return done

    def _decide(
        self, tx: ChannelTransaction, fresh: list[tuple[int, Opened]], now: datetime
    ) -> dict[int, str | Exception | None]:
        """Apply the effects of new messages; per position, None (accepted), the reason it is refused, or
        the transient failure that keeps it from being applied now (its writes undone).

        First all effects in one savepoint (the usual case: one savepoint for the batch). If one raises,
        that is undone; the one that raised keeps its outcome (it is not run again), and each of the others
        is applied again in a savepoint of its own, so that one message's refusal or failure undoes only its
        own writes."""
        decided: dict[int, str | Exception | None] = {i: self._reason_to_refuse(o, now) for i, o in fresh}
        to_apply = [(i, opened) for i, opened in fresh if decided[i] is None]
        failed: tuple[int, Exception] | None = None
        try:
            with tx.savepoint():
                for i, opened in to_apply:
                    failed = None
                    try:
                        self.effects[opened.message.kind](tx, opened)
                    except Exception as exc:
                        failed = (i, exc)
                        raise
            return decided
        except Exception:
            if failed is None:  # the savepoint itself failed: the commit would too
                raise
        for i, opened in to_apply:
            if i == failed[0]:
                decided[i] = _failure(failed[1])
                continue
            try:
                with tx.savepoint():
                    self.effects[opened.message.kind](tx, opened)
            except Exception as exc:
                decided[i] = _failure(exc)
        return decided

    def _reason_to_refuse(self, opened: Opened, now: datetime) -> str | None:
        try:
            check_fresh(opened.message, now)
        except ChannelError as exc:
            return f"{type(exc).__name__}: {exc}"
        if opened.message.kind not in self.effects:
            return f"no handler for messages of kind {opened.message.kind!r} at {self.identity.node}"
        return None

    def _record(
        self, tx: ChannelTransaction, opened: Opened, now: datetime, reason: str | None
    ) -> IncomingMessage:
        """The inbox row of ``opened`` with its signed receipt (observed in ``tx``; the caller writes it)."""
        message = opened.message
        receipt = sign_receipt(
            Receipt(
                message.id,
                opened.digest,
                message.sender,
                self.identity.node,
                now,
                "accepted" if reason is None else "refused",
                reason,
            ),
            self.identity.current,
        )
        details = {"kind": message.kind, "peer": message.sender, "digest": opened.digest}
        if reason is None:
            self.observe(tx, "message.received", message.id, details)
        else:
            self.observe(tx, "message.refused", message.id, details | {"reason": reason[:500]})
        return IncomingMessage(
            id=message.id,
            kind=message.kind,
            sender=message.sender,
            digest=opened.digest,
            signed=opened.signed,
            received_at=now,
            outcome="accepted" if reason is None else "refused",
            reason=reason,
            receipt=receipt,
        )

    def _record_refusal(
        self, tx: ChannelTransaction, wire: str | bytes, exc: ChannelError, now: datetime
    ) -> None:
        raw = wire if isinstance(wire, bytes) else wire.encode("utf-8", "replace")
        refusal = Refusal(now, type(exc).__name__, str(exc)[:500], sha256_b64url(raw))
        tx.add_refusal(refusal)
        details = {"error": refusal.error, "detail": refusal.detail, "bytes": len(raw)}
        self.observe(tx, "message.refused", f"unauthenticated:{refusal.digest}", details)


def _failure(exc: Exception) -> str | Exception:
    """What an effect that raised decides: an ``IpriskError`` refuses its message for good (the reason,
    for the signed "refused" receipt); anything else is transient (the sender retries)."""
    if isinstance(exc, IpriskError):
        return f"{type(exc).__name__}: {exc}"
    return exc
