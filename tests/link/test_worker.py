"""The delivery worker: finds new submissions, delivers in the background, stops gracefully."""

from __future__ import annotations

import time

from iprisk.link import DeliveryWorker
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
