"""The demo's referrals between two nodes (here the in-process pair of the link tests): three warnings from
CN ports, acknowledged and fed back at the EU node, the seizure closed; both nodes agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from iprisk.demo.referrals import exchange_referrals
from iprisk.exchange import ManualClock
from iprisk.link import DeliveryWorker
from tests.link.twonodes import two_nodes
from tests.referrals.conftest import MONDAY


def test_the_demo_referrals_cross_and_both_nodes_agree(tmp_path: Path) -> None:
    eu, cn = two_nodes(tmp_path, ManualClock(MONDAY))

    def wait(condition: Callable[[], bool], what: str) -> None:
        for _ in range(5):
            if condition():
                return
            for side in (cn, eu):
                DeliveryWorker(side.link).run_once()
        raise AssertionError(f"waited in vain for {what}")

    try:
        demo = exchange_referrals(cn.link, eu.link, wait)
    finally:
        for side in (eu, cn):
            side.node.engine.dispose()
    assert [(s[1], s[2], s[3], s[4]) for s in demo.states] == [
        ("CNSHA", "NLRTM", "closed", "closed"),
        ("CNNGB", "DEHAM", "feedback_given", "feedback_given"),
        ("CNSZX", "BEANR", "acknowledged", "acknowledged"),
    ]
    assert demo.kpis_agree
    rows = {r["receiving_port"]: r for r in demo.kpis.to_pylist()}
    assert (
        rows["NLRTM"]["seized"] == 1
        and rows["DEHAM"]["controlled"] == 1
        and rows["BEANR"]["acknowledged"] == 1
    )
