from collections.abc import Iterator
from pathlib import Path

import pytest

from iprisk.exchange import ManualClock
from iprisk.link import DeliveryWorker
from tests.link.twonodes import Side, nodes, two_nodes
from tests.referrals.conftest import MONDAY

#: The feedback of a seizure, as the receiving port's officer gives it (the referral tests of this package).
SEIZED = {"result": "seized", "control_type": "physical", "control_date": "2026-03-02",
          "articles_detained": 2400, "value_eur": 90000, "ipr_type_confirmed": "trademark"}  # fmt: skip


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """CN and EU nodes in this process (CN first), on a clock standing on a Monday of 2026Q1."""
    eu, cn = two_nodes(tmp_path, ManualClock(MONDAY))
    yield cn, eu
    for side in (eu, cn):
        side.node.engine.dispose()


def deliver(*sides: Side) -> None:
    """Delivery passes both ways (sources included: the receipts move the warnings) until all is quiet."""
    for _ in range(4):
        if not any(DeliveryWorker(side.link).run_once().busy for side in sides):
            return


__all__ = ["SEIZED", "deliver", "nodes", "pair"]
