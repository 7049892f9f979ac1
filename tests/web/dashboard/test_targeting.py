"""The targeting page: a declarations file uploaded and scored by the node's model, the day's lines ranked
with reasons and matched profiles, the effectiveness figures of a labelled file, a port officer's lines only,
the export equal to the view, the problems of a bad file row by row, in both languages."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from iprisk.accounts import Role
from iprisk.formats import read_declarations
from iprisk.targeting import score_declarations
from tests.targeting.synthetic import declarations
from tests.web.conftest import LiveNode
from tests.web.dashboard.conftest import csrf_of, login
from tests.web.dashboard.test_routes import _Words


def _upload(client, content: bytes, name: str = "week.csv"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/ui/targeting").text)
    files = {"file": (name, content, "text/csv")}
    return client.post("/ui/targeting", data={"csrf_token": token}, files=files, follow_redirects=False)


def test_an_uploaded_file_is_ranked_by_day_with_reasons_and_effectiveness(
    dash: LiveNode, tmp_path: Path, model_folder: Path
) -> None:
    dash.node.settings.analysis_folder = tmp_path / "analysis"
    week = declarations(300, seed=4, start="2026-11-02", days=3)
    content = week.to_csv(index=False).encode()
    analyst = login(dash, Role.ANALYST)
    assert "no declarations scored yet" in analyst.get("/ui/targeting").text.lower()
    assert analyst.post("/ui/targeting", files={"file": ("w.csv", content, "text/csv")}).status_code == 403
    done = _upload(analyst, content)
    assert done.status_code == 303 and done.headers["location"].startswith("/ui/targeting?list=")
    query = done.headers["location"].split("?")[1] + "&day=2026-11-03"
    page = analyst.get(f"/ui/targeting?{query}").text

    # the library's own call on the same file gives the same ranking for the day
    (tmp_path / "week.csv").write_bytes(content)
    table = read_declarations(tmp_path / "week.csv")
    expected = score_declarations(model_folder, table).to_pandas().assign(date=week["date"].astype(str))
    day = expected[expected["date"] == "2026-11-03"].sort_values("rank")
    exported = _rows(analyst.get(f"/ui/targeting/export?{query}&format=csv").text)
    assert [r["declaration_id"] for r in exported] == list(day["declaration_id"])
    assert all(r["top_reasons"] for r in exported)  # every line explained
    assert page.count("<tr>") >= len(exported) and exported[0]["declaration_id"] in page
    assert "Effectiveness of the ranking" in page  # the file carries inspection results
    assert "precision of the oracle" in page

    officer = login(dash, Role.PORT_OFFICER)  # bound to NLRTM: the lines of that office only
    mine = _rows(officer.get(f"/ui/targeting/export?{query}").text)
    assert mine and {r["office"] for r in mine} == {"NLRTM"}
    assert len(mine) == (day["declaration_id"].isin(week[week["office"] == "NLRTM"]["declaration_id"])).sum()

    zh = analyst.get(f"/ui/targeting?{query}&lang=zh").text
    parser = _Words()
    parser.feed(zh)
    assert parser.words == [], sorted(set(parser.words))[:20]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_bad_file_shows_every_problem_row_and_nothing_is_kept(dash: LiveNode, tmp_path: Path) -> None:
    dash.node.settings.analysis_folder = tmp_path / "analysis"
    week = declarations(20, seed=5)
    week.loc[3, "date"] = "2026-02-30"
    week.loc[7, "net_mass_kg"] = -4
    refused = _upload(login(dash, Role.ANALYST), pd.DataFrame(week).to_csv(index=False).encode(), "bad.csv")
    assert refused.status_code == 422
    assert '<td lang="en">bad.csv</td><td class="num">4</td><td lang="en">date</td>' in refused.text
    assert "/tmp" not in refused.text
    assert not (tmp_path / "analysis" / "targeting").exists() or not list(
        (tmp_path / "analysis" / "targeting").glob("*.parquet")
    )


def test_scoring_needs_its_own_permission(dash: LiveNode, tmp_path: Path) -> None:
    """``targeting.score``: an analyst and a port officer score; a coordinator reads the lists but has no
    upload form and is refused."""
    dash.node.settings.analysis_folder = tmp_path / "analysis"
    coordinator = login(dash, Role.COORDINATOR)
    page = coordinator.get("/ui/targeting")
    assert page.status_code == 200 and 'type="file"' not in page.text
    content = declarations(30, seed=6).to_csv(index=False).encode()
    assert _upload(coordinator, content).status_code == 403
    assert _upload(login(dash, Role.PORT_OFFICER), content).status_code == 303


def test_scored_lists_are_kept_for_the_days_of_the_setting(dash: LiveNode, tmp_path: Path) -> None:
    folder = tmp_path / "analysis"
    dash.node.settings.analysis_folder = folder
    analyst = login(dash, Role.ANALYST)
    first, second = (declarations(30, seed=s).to_csv(index=False).encode() for s in (7, 8))
    old_id = _upload(analyst, first).headers["location"].split("list=")[1]
    kept = folder / "targeting" / f"{old_id}.parquet"
    long_ago = kept.stat().st_mtime - (dash.node.settings.targeting_keep_days + 1) * 86400
    os.utime(kept, (long_ago, long_ago))
    assert _upload(analyst, first).status_code == 303  # scored again: kept from now on
    assert kept.exists() and kept.stat().st_mtime > long_ago
    os.utime(kept, (long_ago, long_ago))
    assert _upload(analyst, second).status_code == 303  # any scoring removes the lists past their days
    assert not kept.exists()
    assert analyst.get(f"/ui/targeting?list={old_id}").status_code == 404
