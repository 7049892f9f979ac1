"""The form that drafts a warning: prefilled from a line of a scored list, refused field by field, drafted
through the API's call (a referral in the drafted state), CSRF, in Chinese without English labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from iprisk.accounts import Role
from tests.targeting.synthetic import declarations
from tests.web.conftest import LiveNode
from tests.web.dashboard.conftest import csrf_of, login
from tests.web.dashboard.test_routes import _Words
from tests.web.dashboard.test_targeting import _upload

#: What the officer adds to the prefilled form (a warning from Rotterdam to Shanghai).
COMPLETED = {
    "sending_port": "NLRTM", "receiving_port": "CNSHA", "transport_mode": "sea",
    "document_type": "bill_of_lading", "document_number": "MAEU 123456789", "departure_port": "NLRTM",
    "arrival_port": "CNSHA", "expected_arrival": "2099-01-01", "hs_code": "640399",
    "description": "Sports shoes", "quantity": "2400", "ipr_type": "trademark", "right": "ACME Sports",
    "reasons": "High score at import.", "requested_action": "physical_control", "legal_basis": "action_plan",
    "handling_code": "customs_only", "expiry": "2099-02-01",
}  # fmt: skip


def _fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="([a-z_]+)" name="[a-z_]+" (?:type="date" )?value="([^"]*)"', html))


def test_a_targeting_line_drafts_a_warning_through_the_form(dash: LiveNode, tmp_path: Path) -> None:
    dash.node.settings.analysis_folder = tmp_path / "analysis"
    officer = login(dash, Role.PORT_OFFICER)  # of NLRTM
    week = declarations(200, seed=9)
    location = _upload(officer, week.to_csv(index=False).encode()).headers["location"]
    listing = officer.get(location).text
    link = re.search(r'href="(/ui/warning\?list=[0-9a-f]+&amp;declaration=[^"]+)"', listing)
    assert link, "a line of the list links to the form"
    form = officer.get(link.group(1).replace("&amp;", "&"))
    assert form.status_code == 200
    declaration = re.search(r"declaration=([^&\"]+)", link.group(1)).group(1)  # type: ignore[union-attr]
    line = week[week["declaration_id"].astype(str) == declaration].iloc[0]
    prefilled = _fields(form.text)
    assert prefilled["hs_code"] == str(line["hs_code"]) and prefilled["sending_port"] == "NLRTM"
    assert 'value="high_score" selected' in form.text  # the score is the reason to warn

    token = csrf_of(form.text)
    refused = officer.post("/ui/warning", data={**prefilled, "csrf_token": token})  # still incomplete
    assert refused.status_code == 422
    for field in ("receiving_port", "description", "requested_action"):
        assert f'id="{field}" name="{field}"' in refused.text
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', refused.text), field
    assert officer.post("/ui/warning", data=COMPLETED).status_code == 403  # no CSRF token

    data: dict[str, Any] = {**COMPLETED, "indicators": ["high_score"], "csrf_token": token}
    drafted = officer.post("/ui/warning", data=data, follow_redirects=False)
    assert drafted.status_code == 303, drafted.text[-2000:]
    page = officer.get(drafted.headers["location"])
    assert page.status_code == 200 and "CNSHA" in page.text
    referral_id = drafted.headers["location"].rsplit("/", 1)[1]
    api = dash.client.get(f"/referrals/{referral_id}", headers=dash.headers(Role.PORT_OFFICER)).json()
    assert api["state"] == "drafted" and api["warning"]["hs_code"] == "640399"


def test_the_form_is_translated_and_refused_to_roles_that_do_not_draft(dash: LiveNode) -> None:
    parser = _Words()
    parser.feed(login(dash, Role.ANALYST).get("/ui/warning?lang=zh").text)
    assert parser.words == [], sorted(set(parser.words))[:20]
    assert login(dash, Role.AUDITOR).get("/ui/warning").status_code == 403
