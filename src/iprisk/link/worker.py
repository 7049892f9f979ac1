"""The delivery worker: fills the outbox from its sources and delivers, again and again, until told to stop.

``iprisk serve`` runs one in a background thread of each process (several uvicorn workers, or several node
processes on one database, are safe: each pass *claims* the messages it sends, ``FOR UPDATE SKIP LOCKED`` /
``BEGIN IMMEDIATE``, and holds them for a lease); ``iprisk exchange deliver`` runs passes until nothing is
left to send now. A message queued in this process wakes the worker at once (:meth:`Link.on_queued`, after
the commit that queued it): it does not wait for the interval, which only paces the sources (the warehouse
log, the audit checkpoints) and the retries; messages queued by another process are found at the next
pass. Stopping is graceful: the pass in progress finishes (its requests complete or time out)
and the thread ends; messages claimed by a worker killed mid-pass are retried when their lease ends, after
a restart or by another worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iprisk.exchange import DeliveryRound, next_wakeup
from iprisk.link.kinds import sources
from iprisk.link.metrics import observe_deliveries

if TYPE_CHECKING:
    from iprisk.link.context import Link

_log = logging.getLogger("iprisk.channel")


@dataclass
class WorkerPass:
    """What one pass did."""

    queued: int = 0
    attempted: int = 0
    received: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.queued or self.attempted)


class DeliveryWorker:
    def __init__(
        self,
        link: Link,
        *,
        interval_s: float | None = None,
        limit: int = 500,
        on_round: Callable[[DeliveryRound], None] | None = None,
    ):
        """``on_round`` is told of each round of delivery (after its receipts are recorded)."""
        self.link = link
        self.interval_s = interval_s if interval_s is not None else link.node.settings.delivery_interval_s
        self.limit = limit
        self.on_round = on_round
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._sources_due = 0.0  # time.monotonic() of the next run of the sources
        link.on_queued(self._wake.set)

    def run_once(self, *, with_sources: bool = True) -> WorkerPass:
        """Run every source (unless told not to), then deliver until no message is due now."""
        done = WorkerPass()
        for name, source in sources().items() if with_sources else ():
            try:
                done.queued += len(source(self.link))
            except Exception as exc:  # e.g. the warehouse is busy: the next pass tries again
                done.errors.append(f"source {name}: {type(exc).__name__}: {exc}")
        while not self._stop.is_set():
            round_ = self.link.deliver(self.limit)
            done.attempted += round_.attempted
            done.received += round_.received
            done.failed += round_.failed
            done.errors.extend(round_.transport_errors)
            observe_deliveries(round_.delivered_after)
            if self.on_round is not None:
                self.on_round(round_)
            if round_.attempted < self.limit:
                break
        return done

    def run(self) -> None:
        """Passes until :meth:`stop`; between them, sleeps until a message is queued in this process, the next
        retry is due or the interval ends (the sources run once per interval)."""
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a message queued during it wakes the next one
            with_sources = time.monotonic() >= self._sources_due
            try:
                done = self.run_once(with_sources=with_sources)
                if done.busy or done.errors:
                    _log.info("delivery: %s", done)
            except Exception:  # the database is gone for a moment: log, wait, try again
                _log.exception("delivery pass failed")
            if with_sources:  # from the end of the pass: a slow pass is not followed at once by another
                self._sources_due = time.monotonic() + self.interval_s
            self._wake.wait(self._pause())

    def _pause(self) -> float:
        pause = self._sources_due - time.monotonic()
        wake = next_wakeup(self.link.outbox())
        if wake is not None:
            pause = min(pause, (wake - self.link.clock.now()).total_seconds())
        return max(0.05, pause)  # never a busy loop

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="iprisk-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the worker to stop after its current pass, and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
