"""The referral figures the pages keep between requests equal the figures computed from scratch after every
step of a random sequence (referrals received, drafted, sent, acknowledged, fed back, closed, ticked, the
clock moving past deadlines), and a request with nothing changed computes nothing."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from iprisk.exchange import ManualClock
from iprisk.formats.referrals import read_warning
from iprisk.node import Node, init_node
from iprisk.node.referrals import kpi_table, referral_list, take_step
from iprisk.periods import Quarter
from iprisk.referrals import Deadlines, draft, incoming
from iprisk.referrals.errors import StepOutOfOrder
from iprisk.referrals.lifecycle import ACKNOWLEDGED, DRAFTED, FEEDBACK_GIVEN, RECEIVED, SENT
from iprisk.referrals.permissions import Officer
from iprisk.store import ReferralStore
from iprisk.web.dashboard import referral_kept, referral_views
from tests.conftest import fresh_database
from tests.referrals.conftest import MONDAY, warning_data
from tests.web.conftest import node_settings

EU_COORDINATOR = Officer("eu-coordinator", "coordinator", "EU")
CN_COORDINATOR = Officer("cn-coordinator", "coordinator", "CN")
#: Who looks at the figures: both coordinators, an analyst of each side, an auditor, a port officer.
VIEWERS = (
    EU_COORDINATOR, CN_COORDINATOR, Officer("eu-analyst", "analyst", "EU"),
    Officer("cn-analyst", "analyst", "CN"), Officer("eu-auditor", "auditor", "EU"),
    Officer("rotterdam", "port_officer", "EU", frozenset({"NLRTM"})),
)  # fmt: skip
EU_PORTS, CN_PORTS = ("NLRTM", "DEHAM", "BEANR"), ("CNSHA", "CNNGB")


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    with fresh_database(request.param, tmp_path) as url:
        settings = node_settings(tmp_path, url)
        init_node(settings)
        with Node.open(settings, clock=ManualClock(MONDAY)) as opened:
            yield opened


def _warning(rng: random.Random, sending: str, receiving: str, today: Any) -> dict[str, Any]:
    """A warning whose feedback deadline (30 days after arrival) and expiry fall within the sequence."""
    arrival = today + timedelta(days=rng.randint(-31, 2))
    return warning_data(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), sending_port=sending, departure_port=sending,
        receiving_port=receiving, arrival_port=receiving, expected_arrival=arrival.isoformat(),
        expiry=(arrival + timedelta(days=rng.randint(31, 40))).isoformat(), parties=None,
    )  # fmt: skip


def _feedback(rng: random.Random, today: Any) -> dict[str, Any]:
    result = rng.choice(["seized", "released", "not_found"])
    if result == "not_found":
        return {"result": result}
    return {"result": result, "control_type": "physical", "control_date": today.isoformat(),
            "articles_detained": rng.randint(1, 500) if result == "seized" else 0,
            "value_eur": 1000.0, "ipr_type_confirmed": "trademark"}  # fmt: skip


#: The steps a referral in each state may take next (by the coordinator of the side that takes it).
_NEXT = {DRAFTED: ["send"], SENT: ["acknowledge", "feedback"], RECEIVED: ["acknowledge", "feedback"],
         ACKNOWLEDGED: ["feedback"], FEEDBACK_GIVEN: ["close", "feedback"]}  # fmt: skip


def _step(node: Node, rng: random.Random, clock: ManualClock) -> None:
    """One random step: a write of the referral store (a new referral, a step of a stored one, a tick), or
    the clock moving on."""
    store = ReferralStore(node.engine)
    now = clock.now()
    movable = [r for r in store.referrals() if r.state in _NEXT]
    choice = rng.choice(["receive", "draft", "tick", "time", "time", *(["step"] * 3 if movable else [])])
    if choice == "receive":
        data = _warning(rng, rng.choice(CN_PORTS), rng.choice(EU_PORTS), now.date())
        sent = now - timedelta(hours=rng.randint(1, 60))
        store.add(*incoming(read_warning(data), sent, sent + timedelta(minutes=2)))
    elif choice == "draft":
        data = _warning(rng, rng.choice(EU_PORTS), rng.choice(CN_PORTS), now.date())
        store.add(*draft(read_warning(data), EU_COORDINATOR, now))
    elif choice == "tick":
        store.tick(now, Deadlines.from_settings(node.settings))
    elif choice == "time":
        clock.advance(timedelta(hours=rng.randint(6, 100)))
    else:
        ref = rng.choice(movable)
        step = rng.choice(_NEXT[ref.state])
        port = ref.warning.sending_port if step in ("send", "close") else ref.warning.receiving_port
        actor = EU_COORDINATOR if port in EU_PORTS else CN_COORDINATOR
        body = _feedback(rng, now.date()) if step == "feedback" else None
        with contextlib.suppress(StepOutOfOrder):  # refused (a draft past its expiry): nothing written
            take_step(node, actor, ref.id, step, body)


#: Who reads the KPIs in the checks (each KPI table costs a DuckDB query: few, to keep the test short).
KPI_VIEWERS = (EU_COORDINATOR, Officer("cn-analyst", "analyst", "CN"))


def _check(node: Node) -> None:
    """The kept figures equal the computation from scratch, and asking again computes nothing."""
    for viewer in VIEWERS:
        kept = referral_kept.inbox(node, viewer, None)
        assert [e.summary for e in kept] == referral_list(node, viewer, None)
    assert referral_kept.inbox(node, EU_COORDINATOR, [SENT]) == [
        e for e in referral_kept.inbox(node, EU_COORDINATOR, None) if e.summary["state"] == SENT
    ]
    quarter = str(Quarter.of(node.clock.now().date()))
    for viewer, q in ((EU_COORDINATOR, None), (KPI_VIEWERS[1], quarter)):
        assert referral_kept.kpi_table(node, viewer, q).equals(kpi_table(node, viewer, q))
    shown = {v.name: referral_views.inbox(node, v, None).rows for v in VIEWERS}
    computed = referral_kept.kept(node).computed
    for viewer in VIEWERS:  # again, nothing changed: every figure is read
        assert referral_views.inbox(node, viewer, None).rows == shown[viewer.name]
    for viewer, q in ((EU_COORDINATOR, None), (KPI_VIEWERS[1], quarter)):
        referral_kept.kpi_table(node, viewer, q)
    assert referral_kept.kept(node).computed == computed
    referral_kept.forget(node)  # from scratch: the page's own view shows the same (overdue marks included)
    assert {v.name: referral_views.inbox(node, v, None).rows for v in VIEWERS} == shown


def test_kept_figures_equal_the_computation_from_scratch_after_every_step(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        settings = node_settings(tmp_path, url)
        init_node(settings)
        clock = ManualClock(MONDAY)
        with Node.open(settings, clock=clock) as node:
            rng = random.Random(3)
            stamps = set()
            for _ in range(16):
                _step(node, rng, clock)
                stamps.add(referral_kept.change_stamp(node.engine))
                _check(node)
            steps = {e.step for r in ReferralStore(node.engine).referrals() for e in
                     ReferralStore(node.engine).events(r.id)}  # fmt: skip
    assert len(stamps) > 10 and {"send", "acknowledge", "feedback", "close", "remind", "escalate"} <= steps, (
        steps
    )


def test_kept_kpis_last_until_the_next_deadline_passes(node: Node) -> None:
    """With no write, ``overdue_now`` changes when the clock passes a deadline: the kept KPIs change too."""
    rng = random.Random(5)
    clock = node.clock
    assert isinstance(clock, ManualClock)
    store = ReferralStore(node.engine)
    data = _warning(rng, "CNSHA", "NLRTM", clock.now().date())
    store.add(*incoming(read_warning(data), clock.now(), clock.now()))
    before = referral_kept.kpi_table(node, EU_COORDINATOR, None)
    assert before["overdue_now"].to_pylist() == [0]
    clock.advance(timedelta(days=3))  # one working day to acknowledge: past
    after = referral_kept.kpi_table(node, EU_COORDINATOR, None)
    assert after["overdue_now"].to_pylist() == [1] and after.equals(kpi_table(node, EU_COORDINATOR, None))
