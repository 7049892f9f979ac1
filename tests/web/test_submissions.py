"""POST /submissions validates as iprisk submit does; the log and the export; the coordinator's scope."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from iprisk.accounts import Role
from tests.web.conftest import LiveNode

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seizures" / "DE_2016Q3.csv"


def _submit(
    live: LiveNode, data: bytes, name: str = "DE_2016Q3.csv", role: Role = Role.COORDINATOR, **form: str
):
    files = {"file": (name, data, "text/csv")}
    return live.client.post("/submissions", files=files, data=form, headers=live.headers(role))


def test_a_valid_file_is_stored_logged_audited_and_exported(live: LiveNode) -> None:
    stored = _submit(live, SAMPLE.read_bytes())
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert (body["admin"], body["quarter"], body["version"], body["status"]) == ("DE", "2016Q3", 1, "stored")
    again = _submit(live, SAMPLE.read_bytes())
    assert again.json()["status"] == "unchanged"
    log = live.client.get("/submissions", headers=live.headers(Role.ANALYST)).json()
    assert [(r["reporting_admin"], r["version"], r["submitted_by"]) for r in log] == [
        ("DE", 1, "coordinator")
    ]
    export = live.client.get("/submissions/export?format=csv&admin=DE", headers=live.headers(Role.ANALYST))
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 10 and {r["reporting_admin"] for r in rows} == {"DE"}
    entries = live.client.get("/audit/entries?limit=1000", headers=live.headers(Role.AUDITOR)).json()
    kinds = [e["entry"] for e in entries if "submission." in e["entry"]]
    assert (
        len(kinds) == 2
        and '"kind":"submission.stored"' in kinds[0]
        and '"subject":"DE 2016Q3 v1"' in kinds[0]
    )


def test_an_invalid_file_is_422_with_every_problem_row_and_nothing_is_stored(live: LiveNode) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("2016-07-04", "2016-13-04").replace(",4800,", ",-5,")
    refused = _submit(live, text.encode("utf-8"))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problems = refused.json()["problems"]
    assert refused.json()["total"] == len(problems) >= 2
    columns = {(p["row"], p["column"]) for p in problems}
    assert (1, "detention_date") in columns and (1, "articles") in columns
    assert all(p["file"] in (None, "DE_2016Q3.csv") for p in problems)
    assert live.client.get("/submissions", headers=live.headers(Role.ANALYST)).json() == []


def _as_cn(text: str) -> bytes:
    """The sample's rows reported by CN at Shanghai, for export."""
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        fields[0], fields[2], fields[3], fields[5], fields[9] = (
            fields[0].replace("DE-", "CN-"),
            "CN",
            "CNSHA",
            "export",
            "DE",
        )
        out.append(",".join(fields))
    return ("\n".join(out) + "\n").encode("utf-8")


def test_a_coordinator_submits_only_for_its_administration(live: LiveNode) -> None:
    refused = _submit(live, _as_cn(SAMPLE.read_text(encoding="utf-8")), name="CN_2016Q3.csv")
    assert refused.status_code == 403, refused.text
    assert "administration CN is outside the account's scope" in refused.json()["detail"]
    assert live.client.get("/submissions", headers=live.headers(Role.ANALYST)).json() == []
    assert _submit(live, SAMPLE.read_bytes(), name="evil.sh").status_code == 400
    assert _submit(live, SAMPLE.read_bytes(), role=Role.ANALYST).status_code == 403
