"""The delivery worker: finds new submissions, delivers in the background, stops gracefully."""

from __future__ import annotations

import threading
import time

import pytest

from iprisk.exchange import DeliveryRound
from iprisk.link import DeliveryWorker
from iprisk.link.probe import PROBE_KIND
from iprisk.warehouse import Warehouse
from tests.link.test_stats import DE
from tests.link.twonodes import Side


def _received(side: Side) -> int:
    with side.link.store.transaction() as tx:
        return len(tx.outgoing("received"))


def test_the_worker_picks_up_a_submission_and_delivers_it_then_stops(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    worker = DeliveryWorker(eu.link, interval_s=0.1)
    assert not worker.run_once().busy  # nothing to do yet
    worker.start()
    try:
        with Warehouse.open(eu.link.warehouse) as wh:
            wh.submit(DE)
        deadline = time.monotonic() + 60
        while _received(eu) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop(timeout_s=30)
    assert _received(eu) == 1
    with Warehouse.open(cn.link.warehouse) as wh:
        assert wh.submissions()["reporting_admin"].tolist() == ["DE"]
    assert worker._thread is None  # joined


def test_a_message_queued_wakes_the_worker_at_once_not_at_its_interval(nodes: tuple[Side, Side]) -> None:
    eu, _cn = nodes
    rounds: list[DeliveryRound] = []
    delivered, first_pass = threading.Event(), threading.Event()

    def told(round_: DeliveryRound) -> None:
        rounds.append(round_)
        first_pass.set()
        if round_.received:
            delivered.set()

    worker = DeliveryWorker(eu.link, interval_s=600, on_round=told)  # would sleep ten minutes unwoken
    worker.start()
    try:
        assert first_pass.wait(60)
        time.sleep(0.2)  # the first pass (sources, nothing due) is over: the worker sleeps
        with eu.link.store.transaction() as tx:
            eu.link.send(tx, PROBE_KIND, "CN", b"wake up")
            time.sleep(0.3)
            assert not delivered.is_set()  # not before the commit: the worker could not see the row
        assert delivered.wait(60), "the worker was not woken by the queued message"
    finally:
        worker.stop(timeout_s=30)
    assert _received(eu) == 1 and sum(r.received for r in rounds) == 1


def test_a_rolled_back_send_does_not_wake_the_worker(nodes: tuple[Side, Side]) -> None:
    eu, _cn = nodes
    woken: list[bool] = []
    eu.link.on_queued(lambda: woken.append(True))
    with pytest.raises(RuntimeError), eu.link.store.transaction() as tx:
        eu.link.send(tx, PROBE_KIND, "CN", b"never")
        raise RuntimeError("the cause failed")
    assert woken == [] and _received(eu) == 0
    with eu.link.store.transaction() as tx:
        for _ in range(3):
            eu.link.send(tx, PROBE_KIND, "CN", b"three in one unit of work")
    assert woken == [True]  # once per commit
