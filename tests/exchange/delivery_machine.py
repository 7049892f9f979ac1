"""A stateful model of delivery between EU and CN over a hostile network, for Hypothesis.

The network drops, duplicates, reorders and delays packets (messages one way, receipts the other); either
node crashes between a commit and the send that follows it (the sender after committing an attempt, the
receiver after committing the message and its receipt), or in the middle of a unit of work; an effect fails
transiently now and then. The committed state lives in the stores; a crash rebuilds the node objects from
them. After every step and after a final drain over a healed network, the invariants below must hold.

The machine runs on any channel store (``backend``: memory by default; ``machine_on(backend)`` for another).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from iprisk.exchange import Opened, RetryPolicy
from tests.exchange.backends import Backend, MemoryBackend
from tests.exchange.nodes import Pair

LONG_TTL = timedelta(days=30)
SHORT_TTL = timedelta(minutes=5)
POLICY = RetryPolicy(first=timedelta(seconds=1), factor=2.0, cap=timedelta(seconds=60))


class _Crash(Exception):
    """A node dies in the middle of a unit of work."""


@dataclass(frozen=True)
class Packet:
    kind: str  # "message" (EU -> CN) or "receipt" (CN -> EU)
    data: str


class DeliveryMachine(RuleBasedStateMachine):
    #: schedules started (the benchmark reports it)
    runs: ClassVar[int] = 0
    backend: ClassVar[Backend] = MemoryBackend()

    def __init__(self) -> None:
        super().__init__()
        type(self).runs += 1
        self.backend.release()  # the stores of the previous schedule (emptied before reuse)
        self.pair = Pair(backend=self.backend)
        self.network: list[Packet] = []
        self.fail_next_apply = False
        self.committed: dict[str, timedelta] = {}  # message id -> its time to live
        self._restart_sender()
        self._restart_receiver()

    def _restart_sender(self) -> None:
        self.outbox = self.pair.outbox(POLICY, seed=len(self.committed))

    def _restart_receiver(self) -> None:
        self.inbox = self.pair.inbox({"stats": self._effect})

    def _effect(self, tx: Any, opened: Opened) -> None:
        if self.fail_next_apply:
            self.fail_next_apply = False
            raise OSError("transient: the warehouse is busy")
        self.pair.record_effect(tx, opened)

    # --- the sender -------------------------------------------------------------------------------------
    @rule(
        payload=st.binary(max_size=24),
        ttl=st.sampled_from([LONG_TTL, LONG_TTL, SHORT_TTL]),
        crash=st.booleans(),
    )
    def submit(self, payload: bytes, ttl: timedelta, crash: bool) -> None:
        """A change and its message, in one unit of work; a crash inside it leaves neither."""
        try:
            with self.pair.eu_store.transaction() as tx:
                queued = self.outbox.enqueue(tx, "stats", "CN", payload, ttl=ttl)
                self.backend.put(tx, "submissions", queued.id, payload)
                if crash:
                    raise _Crash
        except _Crash:
            self._restart_sender()
            return
        self.committed[queued.id] = ttl

    @rule(crash_before_send=st.booleans(), copies=st.integers(1, 2))
    def send_due(self, crash_before_send: bool, copies: int) -> None:
        """One due message: its attempt is committed, then (unless the sender dies first) it is sent."""
        self.outbox.expire_overdue()
        due = self.outbox.due(limit=1)
        if not due:
            return
        attempt = self.outbox.start_attempt(due[0].id)
        if attempt is None:
            return
        if crash_before_send:
            self._restart_sender()
            return
        self.network.extend([Packet("message", attempt.wire)] * copies)

    @rule(limit=st.integers(1, 4), lease=st.sampled_from([None, 30, 600]), fails=st.booleans())
    def claim_batch(self, limit: int, lease: int | None, fails: bool) -> None:
        """A worker takes several due messages (held for a lease); the batch is sent, or its send fails and
        the messages go back to their backoff."""
        claimed = self.outbox.claim_due(limit, timedelta(seconds=lease) if lease else None)
        if fails:
            self.outbox.release({m.id: "ConnectionError: refused" for m in claimed})
        else:
            self.network.extend(Packet("message", m.wire) for m in claimed)

    # --- the network ------------------------------------------------------------------------------------
    @precondition(lambda self: bool(self.network))
    @rule(
        pick=st.integers(min_value=0),
        drop=st.booleans(),
        keep_copy=st.booleans(),
        receiver_crash=st.booleans(),
    )
    def deliver(self, pick: int, drop: bool, keep_copy: bool, receiver_crash: bool) -> None:
        """Any packet in flight (reordering) arrives, or is lost; a copy may stay in flight (duplication)."""
        packet = self.network[pick % len(self.network)]
        if not keep_copy:
            self.network.remove(packet)
        if drop:
            return
        if packet.kind == "receipt":
            self.outbox.accept_receipt(packet.data)
            return
        try:
            receipt = self.inbox.receive(packet.data)
        except OSError:  # the transient failure: nothing committed, no receipt
            return
        if receiver_crash:  # committed, but the receipt never leaves
            self._restart_receiver()
            return
        self.network.append(Packet("receipt", receipt))

    @precondition(lambda self: any(p.kind == "message" for p in self.network))
    @rule(count=st.integers(1, 4), receiver_crash=st.booleans())
    def deliver_batch(self, count: int, receiver_crash: bool) -> None:
        """Several messages in flight arrive in one request (a batch, applied in one unit of work)."""
        batch = [p for p in self.network if p.kind == "message"][:count]
        for packet in batch:
            self.network.remove(packet)
        answers = self.inbox.receive_many([p.data for p in batch])
        if receiver_crash:
            self._restart_receiver()
            return
        self.network.extend(Packet("receipt", a) for a in answers if isinstance(a, str))

    @rule(seconds=st.integers(min_value=0, max_value=400))
    def wait(self, seconds: int) -> None:
        self.pair.clock.advance(timedelta(seconds=seconds))

    @rule()
    def transient_failure_ahead(self) -> None:
        self.fail_next_apply = True

    @rule(which=st.sampled_from(["sender", "receiver"]))
    def crash(self, which: str) -> None:
        self._restart_sender() if which == "sender" else self._restart_receiver()

    # --- what must always hold --------------------------------------------------------------------------
    @invariant()
    def applied_at_most_once_and_only_what_was_committed(self) -> None:
        applied = self.pair.applied_log()
        assert len(applied) == len(set(applied)), f"applied twice: {applied}"
        assert set(applied) <= set(self.committed), "applied a message whose submission was rolled back"

    @invariant()
    def statuses_agree_with_the_receiver(self) -> None:
        with self.pair.eu_store.transaction() as tx:
            outgoing = {m.id: m for m in tx.outgoing()}
            submissions = self.backend.rows(tx, "submissions")
        with self.pair.cn_store.transaction() as tx:
            incoming = {m.id: m for m in tx.incoming()}
        assert set(outgoing) == set(submissions) == set(self.committed), "outbox and change not atomic"
        applied = set(self.pair.applied_log())
        for message in outgoing.values():
            assert (message.status == "received") == (message.id in applied and message.receipt is not None)
            if message.receipt is not None:
                assert message.receipt == incoming[message.id].receipt, "receipt differs from the stored one"
            if message.status == "failed":  # the only refusal here: arrived after its expiry
                assert "MessageExpired" in (message.reason or ""), message.reason
        for message in incoming.values():
            in_time = message.received_at <= outgoing[message.id].expiry
            assert (message.outcome == "accepted") == in_time, f"{message.outcome} {message.reason}"

    def teardown(self) -> None:
        """Heal the network and let the outbox run: every long-lived message ends applied exactly once."""
        self.fail_next_apply = False
        self._restart_receiver()
        for _ in range(60):
            self.outbox.deliver_due(lambda _node, wire: self.inbox.receive(wire))
            if not self._open():
                break
            self.pair.clock.advance(POLICY.cap)
        applied = self.pair.applied_log()
        with self.pair.eu_store.transaction() as tx:
            outgoing = {m.id: m for m in tx.outgoing()}
        for message_id, ttl in self.committed.items():
            status = outgoing[message_id].status
            if ttl == LONG_TTL:
                assert status == "received", f"{message_id} lost: {status}"
                assert applied.count(message_id) == 1
            else:
                assert status in ("received", "expired", "failed"), status
                assert applied.count(message_id) <= 1
                assert status != "received" or message_id in applied

    def _open(self) -> bool:
        with self.pair.eu_store.transaction() as tx:
            return bool(tx.outgoing("queued") or tx.outgoing("sent"))


def machine_on(backend: Backend) -> type[DeliveryMachine]:
    """The delivery machine on another channel store."""
    return type(f"DeliveryMachine_{backend.name}", (DeliveryMachine,), {"backend": backend, "runs": 0})
