"""GET /analysis/{table}: precomputed tables, filtered by the URL, paged, limited to the officer's ports."""

from __future__ import annotations

from pathlib import Path

from iprisk.accounts import Role
from tests.web.conftest import LiveNode


def _folder(live: LiveNode, tmp_path: Path) -> None:
    folder = tmp_path / "analysis"
    folder.mkdir()
    (folder / "lanes.csv").write_text(
        "lane,cases,share\nCNSHA -> NLRTM,40,0.4\nCNSHA -> DEHAM,35,0.35\nHKHKG -> NLRTM,25,0.25\n",
        encoding="utf-8",
    )
    (folder / "signals.csv").write_text("segment,quarter,observed\nshoes,2016Q3,12\n", encoding="utf-8")
    live.node.settings.analysis_folder = folder


def test_tables_are_filtered_by_the_url_and_paged(live: LiveNode, tmp_path: Path) -> None:
    _folder(live, tmp_path)
    analyst = live.headers(Role.ANALYST)
    page = live.client.get("/analysis/lanes?limit=2", headers=analyst).json()
    assert page["columns"] == ["lane", "cases", "share"] and page["total"] == 3 and len(page["rows"]) == 2
    filtered = live.client.get("/analysis/lanes?cases=35", headers=analyst).json()
    assert filtered["rows"] == [["CNSHA -> DEHAM", "35", "0.35"]] and filtered["filters"] == {"cases": "35"}
    assert live.client.get("/analysis/lanes?nope=1", headers=analyst).status_code == 400
    assert live.client.get("/analysis/nope", headers=analyst).status_code == 404
    assert live.client.get("/analysis/trends", headers=analyst).status_code == 404  # not computed yet


def test_a_port_officer_sees_only_its_ports(live: LiveNode, tmp_path: Path) -> None:
    _folder(live, tmp_path)
    officer = live.headers(Role.PORT_OFFICER)  # bound to NLRTM
    page = live.client.get("/analysis/lanes", headers=officer).json()
    assert [row[0] for row in page["rows"]] == ["CNSHA -> NLRTM", "HKHKG -> NLRTM"] and page["total"] == 2
    assert live.client.get("/analysis/lanes?lane=CNSHA%20-%3E%20DEHAM", headers=officer).json()["rows"] == []
    assert live.client.get("/analysis/signals", headers=officer).status_code == 404
