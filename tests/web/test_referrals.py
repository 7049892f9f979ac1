"""/referrals on an EU node: a warning received from China acknowledged and fed back by the officer of its
port, scoped by port and side, every step in the node's audit log; the KPIs for the coordinator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from iprisk.accounts import Role
from iprisk.formats.referrals import read_warning
from iprisk.referrals import incoming
from iprisk.store import ReferralStore
from tests.referrals.conftest import warning_data
from tests.web.conftest import LiveNode

FEEDBACK = {"result": "seized", "control_type": "physical", "control_date": "2026-04-01",
            "articles_detained": 2400, "value_eur": 90000, "ipr_type_confirmed": "trademark"}  # fmt: skip


def _received(live: LiveNode, referral_id: str, port: str) -> None:
    """What the channel's handler will do: the warning from China stored as received."""
    data = warning_data(id=referral_id, receiving_port=port, arrival_port=port, expiry="2099-01-01")
    sent = datetime.now(UTC) - timedelta(hours=3)
    ReferralStore(live.node.engine).add(*incoming(read_warning(data), sent, sent + timedelta(minutes=1)))


def test_a_received_warning_through_acknowledgement_and_feedback(live: LiveNode) -> None:
    mine, other = "0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e", "1b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"
    _received(live, mine, "NLRTM")
    _received(live, other, "DEHAM")
    officer, analyst = live.headers(Role.PORT_OFFICER), live.headers(Role.ANALYST)

    listed = live.client.get("/referrals", headers=officer).json()
    assert [r["id"] for r in listed] == [mine]  # the officer of NLRTM sees the referrals of NLRTM only
    assert {r["id"] for r in live.client.get("/referrals", headers=analyst).json()} == {mine, other}
    assert live.client.get(f"/referrals/{other}", headers=officer).status_code == 403
    refused = live.client.post(f"/referrals/{other}/acknowledge", json={}, headers=officer)
    assert refused.status_code == 403 and "DEHAM" in refused.json()["detail"]

    note = {"note": "scan on arrival"}
    ack = live.client.post(f"/referrals/{mine}/acknowledge", json=note, headers=officer)
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    again = live.client.post(f"/referrals/{mine}/acknowledge", json={}, headers=officer)
    assert again.status_code == 409 and "acknowledged already" in again.json()["detail"]
    bad = live.client.post(f"/referrals/{mine}/feedback", json={**FEEDBACK, "articles_detained": 0},
                           headers=officer)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["problems"][0]["rule"] == "result"
    done = live.client.post(f"/referrals/{mine}/feedback", json=FEEDBACK, headers=officer)
    assert done.status_code == 200 and done.json()["state"] == "feedback_given"

    shown = live.client.get(f"/referrals/{mine}", headers=officer).json()
    assert [e["step"] for e in shown["events"]] == ["receive", "acknowledge", "feedback"]
    entries = live.client.get("/audit/entries?limit=1000", headers=live.headers(Role.AUDITOR)).json()
    text = "".join(e["entry"] for e in entries)
    assert '"kind":"referral.acknowledge"' in text and '"kind":"referral.feedback"' in text
    assert "scan on arrival" not in text  # free text stays out of the audit log

    kpis = live.client.get("/referrals/kpis", headers=live.headers(Role.COORDINATOR)).json()
    by_port = {row["receiving_port"]: row for row in kpis}
    assert by_port["NLRTM"]["seized"] == 1 and by_port["NLRTM"]["acknowledged"] == 1
    assert by_port["DEHAM"]["overdue_now"] == 0 and by_port["DEHAM"]["acknowledged"] == 0
    assert live.client.get("/referrals/kpis", headers=officer).status_code == 403


def test_an_officer_drafts_and_sends_a_warning_to_china(live: LiveNode) -> None:
    officer = live.headers(Role.PORT_OFFICER)
    data = warning_data(sending_port="NLRTM", receiving_port="CNSHA", departure_port="NLRTM",
                        arrival_port="CNSHA", expected_arrival="2099-01-01", expiry="2099-02-01")  # fmt: skip
    created = live.client.post("/referrals", json=data, headers=officer)
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    sent = live.client.post(f"/referrals/{referral_id}/send", headers=officer)
    # the node has no peer yet: nothing can travel, the referral stays drafted (tests/link sends it across)
    assert sent.status_code == 400 and "register the peer" in sent.json()["detail"], sent.text
    shown = live.client.get(f"/referrals/{referral_id}", headers=officer).json()
    assert shown["state"] == "drafted" and [e["step"] for e in shown["events"]] == ["draft"]
    wrong_side = live.client.post("/referrals", json=warning_data(expiry="2099-01-01"), headers=officer)
    assert wrong_side.status_code == 422
    assert {p["rule"] for p in wrong_side.json()["problems"]} >= {"port_side"}
