"""``iprisk report ...`` through the real entry point, on a small warehouse; the command writes what the
library writes, records the run, and refuses bad options before any work."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from iprisk.reports import annual_inputs, annual_report, render_html
from iprisk.store import RunLog
from iprisk.warehouse import Warehouse
from tests.analysis.worlds import fill_warehouse, make_world

pytestmark = pytest.mark.usefixtures("fresh_settings")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    with Warehouse.open(path) as wh:
        fill_warehouse(wh, make_world(5, n_cells=120, n_quarters=12))  # 2018Q1..2020Q4
    return path


def test_annual_writes_what_the_library_writes_and_records_the_run(
    run, warehouse: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    out = tmp_path / "annual-2020.zh.html"
    code, stdout, stderr = run(
        "report", "annual", "--year", "2020", "--lang", "zh", "--out", out, "-w", warehouse, "--db", db
    )
    assert code == 0, stderr
    assert stdout.strip() == f"wrote {out}"
    with Warehouse.open(warehouse) as wh:
        expected = render_html(annual_report(annual_inputs(wh, 2020), "zh"))
    assert out.read_text(encoding="utf-8") == expected  # byte for byte: the command adds nothing
    runs = RunLog(db).runs()
    assert runs[["kind", "period", "locale", "formats"]].values.tolist() == [["annual", "2020", "zh", "html"]]
    assert len(runs["snapshot"].iloc[0]) == 64


def test_newsletter_as_pdf_and_email_and_state_of_play(run, warehouse: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    pdf, eml = tmp_path / "nl.pdf", tmp_path / "nl.eml"
    code, _, stderr = run(
        "report",
        "newsletter",
        "--quarter",
        "2020q4",
        "--out",
        pdf,
        "--email",
        eml,
        "-w",
        warehouse,
        "--db",
        db,
    )
    assert code == 0, stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Risk newsletter 2020Q4"
    play = tmp_path / "play.html"
    code, _, stderr = run(
        "report", "state-of-play", "--quarter", "2020Q4", "--out", play, "-w", warehouse, "--db", db
    )
    assert code == 0, stderr
    # the state of play counts the newsletter just built (both its files, one run) as built this quarter
    text = play.read_text(encoding="utf-8")
    assert "State of play of the action plan, " in text and "risk newsletters" in text
    assert RunLog(db).runs()["kind"].tolist() == ["newsletter", "state-of-play"]


def test_map(run, warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    code, _, stderr = run("report", "map", "--year", "2020", "--all-arrivals", "--out", out, "-w", warehouse)
    assert code == 0, stderr
    assert out.read_text(encoding="utf-8").startswith("<svg")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["annual", "--year", "2020", "--out", "report.docx"], "report.docx"),
        (["annual", "--year", "2031", "--out", "report.html"], "no seizures from 2031Q1 to 2031Q4"),
        (["newsletter", "--quarter", "2020Q4"], "--email"),
        (["newsletter", "--quarter", "2020-13", "--out", "x.pdf"], "2020-13"),
        (["map", "--year", "2020", "--quarter", "2020Q1", "--out", "m.svg"], "a year or a quarter"),
        (["map", "--year", "2020", "--out", "m.jpg"], "m.jpg"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(
    run, warehouse: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    db = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    argv = [
        a if not a.endswith((".docx", ".html", ".pdf", ".svg", ".jpg")) else str(tmp_path / a) for a in argv
    ]
    extra = ["--db", db] if argv[0] != "map" else []
    code, _, stderr = run("report", *argv, "-w", warehouse, *extra)
    assert code != 0 and message in stderr
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite"] == []
    assert not (tmp_path / "ops.sqlite").exists() or RunLog(db).runs().empty


def test_an_output_over_the_warehouse_or_an_input_is_refused(run, warehouse: Path, tmp_path: Path) -> None:
    before = warehouse.read_bytes()
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("strategy,k_pct,selected,hits_selected,precision\n", encoding="utf-8")
    db = ["--db", f"sqlite:///{tmp_path / 'ops.sqlite'}"]
    for refused, argv in (
        (
            warehouse,
            ["annual", "--year", "2020", "--out", str(tmp_path / "a.pdf"), "--out", str(warehouse), *db],
        ),
        (metrics, ["annual", "--year", "2020", "--out", str(metrics), "--strategies", str(metrics), *db]),
        (warehouse, ["newsletter", "--quarter", "2020Q4", "--email", str(warehouse), *db]),
        (warehouse, ["map", "--year", "2020", "--out", str(warehouse)]),
    ):
        code, _, stderr = run("report", *argv, "-w", warehouse)
        assert code == 1 and f"refusing to write {refused}" in "".join(stderr.split("\n")), (argv, stderr)
    assert warehouse.read_bytes() == before and not (tmp_path / "a.pdf").exists()
    assert metrics.read_text(encoding="utf-8").startswith("strategy")


def test_a_missing_warehouse_is_reported(run, tmp_path: Path) -> None:
    code, _, stderr = run(
        "report",
        "annual",
        "--year",
        "2020",
        "--out",
        tmp_path / "a.html",
        "-w",
        tmp_path / "none.duckdb",
        "--db",
        f"sqlite:///{tmp_path / 'ops.sqlite'}",
    )
    assert code == 1 and "none.duckdb" in stderr
    assert not (tmp_path / "none.duckdb").exists()
