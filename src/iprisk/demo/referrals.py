"""The demo's referrals: CN export ports warn EU arrival ports over the channel between the two demo nodes;
the EU officers acknowledge and give feedback, the CN port closes what was seized. Library calls only.

Each step is taken at the node of the port that takes it (the referral store's hook queues the message in the
step's transaction) by an account of that node — the port officers are made by the node's operator, and act
with an API token, authenticated as the API and the command line authenticate them; the nodes' delivery
workers carry the messages; the demo waits until both nodes agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from iprisk.accounts import Principal
from iprisk.link import Link
from iprisk.node.referrals import draft_referral, take_step
from iprisk.referrals import Deadlines, kpis

#: (sending port, receiving port, conveyance, HS code, right, feedback result or None)
_CASES = (
    ("CNSHA", "NLRTM", "MAERSK EINDHOVEN 012W", "640399", "ACME Sports", "seized"),
    ("CNNGB", "DEHAM", "COSCO SHIPPING ARIES 031E", "950300", "BrickToys", "released"),
    ("CNSZX", "BEANR", "MSC GULSUN 044W", "851830", "SoundWave", None),
)
_CONTAINERS = ("CSQU3054383", "MSCU4783929", "TGHU1234567")


@dataclass(frozen=True)
class ReferralDemo:
    #: per referral: id, sending port, receiving port, state at the CN node, state at the EU node
    states: list[tuple[str, str, str, str, str]]
    #: the KPIs per quarter and port pair, as computed at the CN node
    kpis: pa.Table
    #: whether the EU node computes the same KPIs from its copies
    kpis_agree: bool


def _warning(
    case: tuple[str, str, str, str, str, str | None], container: str, today: datetime
) -> dict[str, Any]:
    sending, receiving, conveyance, hs, right, _ = case
    arrival = (today + timedelta(days=20)).date()
    return {
        "reference": f"{sending}-DEMO-{container[-4:]}",
        "sending_port": sending, "receiving_port": receiving, "transport_mode": "sea",
        "transport_documents": [{"type": "container", "number": container}],
        "conveyance": conveyance, "departure_port": sending, "arrival_port": receiving,
        "expected_arrival": arrival.isoformat(), "origin_country": "CN", "hs_code": hs,
        "description": "Consignment flagged at export", "quantity": 1200, "value_eur": 24000.0,
        "ipr_type": "trademark", "right": right, "indicators": ["export_detection"],
        "reasons": "The same shipper's previous consignment held counterfeits at export.",
        "requested_action": "physical_control", "legal_basis": "action_plan", "handling_code": "customs_only",
        "expiry": (arrival + timedelta(days=30)).isoformat(),
    }  # fmt: skip


def _feedback(result: str, today: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "result": result,
        "control_type": "physical",
        "control_date": today.date().isoformat(),
    }
    if result == "seized":
        body |= {"articles_detained": 1200, "value_eur": 24000.0, "ipr_type_confirmed": "trademark"}
    return body


def _states(link: Link, ids: list[str]) -> list[str]:
    store: Any = getattr(link.node, "referrals")  # noqa: B009  # a Node's (NodeLike does not name it)
    found = [store.find(i) for i in ids]
    return [ref.state if ref is not None else "-" for ref in found]


def _officer(node: Any, name: str, ports: list[str]) -> Principal:
    """A port officer account of ``node`` (made once) and who it is when it acts with its API token."""
    if name not in {user.name for user in node.accounts.users()}:
        node.accounts.add_user(name, "port_officer", node.name, ports, by="demo-operator")
    _token, secret = node.accounts.create_token(name, days=1, label="demo", by="demo-operator")
    principal: Principal = node.accounts.authenticate(secret)
    return principal


def exchange_referrals(
    at_cn: Link, at_eu: Link, wait: Callable[[Callable[[], bool], str], None]
) -> ReferralDemo:
    """Three warnings from CN export ports to EU ports: each acknowledged, two fed back (one seizure), the
    seizure closed; ``wait(condition, what)`` waits for the channel to carry each step."""
    cn_node: Any = at_cn.node
    eu_node: Any = at_eu.node
    li = _officer(cn_node, "li.wei", [case[0] for case in _CASES])
    jan = _officer(eu_node, "jan.devries", [case[1] for case in _CASES])
    today = cn_node.clock.now()
    ids = []
    for case, container in zip(_CASES, _CONTAINERS, strict=True):
        ref = draft_referral(cn_node, li, _warning(case, container, today))
        take_step(cn_node, li, ref["id"], "send")
        ids.append(str(ref["id"]))
    wait(lambda: _states(at_cn, ids) == ["received"] * 3, "the warnings' receipts at CN")
    for case, rid in zip(_CASES, ids, strict=True):
        take_step(eu_node, jan, rid, "acknowledge", {"note": "scan on arrival"})
        if case[5] is not None:
            take_step(eu_node, jan, rid, "feedback", _feedback(case[5], today))
    expected = ["feedback_given", "feedback_given", "acknowledged"]
    wait(lambda: _states(at_cn, ids) == expected, "the feedback at CN")
    take_step(cn_node, li, ids[0], "close")
    wait(lambda: _states(at_eu, ids)[0] == "closed", "the closure at the EU")
    cn_states, eu_states = _states(at_cn, ids), _states(at_eu, ids)
    states = [
        (i, case[0], case[1], here, there)
        for i, case, here, there in zip(ids, _CASES, cn_states, eu_states, strict=True)
    ]
    now = cn_node.clock.now()
    tables = [_kpis(node, now) for node in (cn_node, eu_node)]
    return ReferralDemo(states, tables[0], tables[0].to_pylist() == tables[1].to_pylist())


def _kpis(node: Any, now: datetime) -> pa.Table:
    return kpis(node.referrals.kpi_rows(Deadlines.from_settings(node.settings)), now=now)
