"""``iprisk submit``, ``iprisk submissions`` and ``iprisk export seizures`` through the real entry point."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from iprisk.formats import read_seizures
from iprisk.settings import get_settings
from iprisk.warehouse import Warehouse
from tests.warehouse.samples import make_batch, write_invalid_csv, write_seizures_csv

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("fresh_settings")


def test_submit_stored_unchanged_superseded(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    f = write_seizures_csv(tmp_path / "DE_2016Q3.csv", n=6)
    code, out, err = run("submit", f, "--warehouse", wh)
    assert code == 0, err
    digest = read_seizures(f).content_hash
    assert out.strip() == f"{f}: DE 2016Q3, 6 rows, stored (version 1, {digest[:12]})"
    code, out, _ = run("submit", f, "--warehouse", wh)
    assert code == 0 and "unchanged (version 1" in out
    g = write_seizures_csv(tmp_path / "DE_2016Q3_v2.csv", n=7, variant=3)
    code, out, _ = run(
        "submit", g, "--warehouse", wh, "--admin", "DE", "--quarter", "2016q3", "--user", "bob"
    )
    assert code == 0 and "7 rows, superseded-previous (version 2" in out
    with Warehouse.open(wh) as w:
        log = w.submissions()
    assert log["submitted_by"].tolist() == ["tester", "bob"]
    assert log["status"].tolist() == ["superseded", "current"]


def test_invalid_file_exits_3_and_others_are_still_stored(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    good = write_seizures_csv(tmp_path / "good.csv", "NL", "2016Q3", n=3)
    bad = write_invalid_csv(tmp_path / "bad.csv", bad_rows=25)
    report = tmp_path / "reports" / "errors.csv"
    code, out, err = run("submit", bad, good, "--warehouse", wh, "--errors-out", report)
    assert code == 3
    assert f"{bad}: invalid, 25 problem(s), not stored" in out
    assert f"{good}: NL 2016Q3, 3 rows, stored" in out
    assert "spaceships" in err and "product_category" in err
    assert "... and 5 more" in err  # 20 shown on the terminal
    assert "Traceback" not in err
    with report.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    assert set(rows[0]) >= {"file", "row", "column", "value", "rule", "message"}
    assert [r["row"] for r in rows] == [str(i) for i in range(1, 26)]
    assert {(r["file"], r["column"], r["value"], r["rule"]) for r in rows} == {
        (str(bad), "product_category", "spaceships", "code")
    }
    with Warehouse.open(wh) as w:
        assert w.submissions()["reporting_admin"].tolist() == ["NL"]


def test_several_files_for_one_quarter_are_versions_in_order(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    v1 = write_seizures_csv(tmp_path / "v1.csv", n=4)
    v2 = write_seizures_csv(tmp_path / "v2.csv", n=5, variant=1)
    code, out, err = run("submit", v1, v2, v1, "--warehouse", wh)
    assert code == 0, err
    got = [re.search(r"rows, (\S+) \(version (\d+)", line).groups() for line in out.strip().splitlines()]  # type: ignore[union-attr]
    # going back to v1's content is a new version
    assert got == [("stored", "1"), ("superseded-previous", "2"), ("superseded-previous", "3")]


def test_errors_out_is_written_even_without_problems(tmp_path: Path, run) -> None:
    report = tmp_path / "errors.csv"
    f = write_seizures_csv(tmp_path / "a.csv")
    code, _, _ = run("submit", f, "--warehouse", tmp_path / "wh.duckdb", "--errors-out", report)
    assert code == 0
    assert len(report.read_text(encoding="utf-8").splitlines()) == 1  # header only


def test_busy_warehouse_exits_4_with_one_line(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = tmp_path / "wh.duckdb"
    Warehouse.open(wh).close()
    monkeypatch.setenv("IPRISK_LOCK_TIMEOUT_S", "0.2")
    get_settings.cache_clear()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(wh)!r}); print('x', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "x"
        code, _, err = run("submit", write_seizures_csv(tmp_path / "a.csv"), "--warehouse", wh)
    finally:
        holder.kill()
        holder.communicate()
    assert code == 4
    assert "warehouse busy, retry" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["submit", "{tmp}/missing.csv"], 1, "no such file"),
        (["submit", "{tmp}/a.docx"], 1, "a.docx"),
        (["submit", "{tmp}/a.csv", "--quarter", "2016Q5"], 2, "not a quarter"),
        (["submit", "{tmp}/a.csv", "--mapping", "{tmp}/nope.yaml"], 1, "nope"),
        (["export", "seizures", "--out", "{tmp}/x.csv", "--as-of", "whenever"], 2, "not a timestamp"),
        (["export", "seizures", "--out", "{tmp}/x.docx"], 1, "x.docx"),
    ],
)
def test_other_failures_one_line_no_traceback(
    tmp_path: Path, run, args: list[str], code: int, message: str
) -> None:
    write_seizures_csv(tmp_path / "a.csv")
    (tmp_path / "a.docx").write_text("not seizures\n")
    Warehouse.open(tmp_path / "wh.duckdb").close()
    argv = [a.format(tmp=tmp_path) for a in args] + ["--warehouse", str(tmp_path / "wh.duckdb")]
    got, _, err = run(*argv)
    assert got == code, err
    assert message in err and "Traceback" not in err


def test_submissions_formats(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = tmp_path / "wh.duckdb"
    with Warehouse.open(wh) as w:
        w.submit(make_batch("DE", "2016Q3"), user="alice")
        w.submit(make_batch("DE", "2016Q3", variant=1), user="alice")
    code, out, _ = run("submissions", "--warehouse", wh, "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [(r["version"], r["status"], r["superseded_at"] is None) for r in records] == [
        (1, "superseded", False),
        (2, "current", True),
    ]
    assert records[0]["superseded_at"] == records[1]["submitted_at"]
    assert records[0]["submitted_at"].endswith("+00:00")
    code, out, _ = run("submissions", "--warehouse", wh, "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["status"] for r in rows] == ["superseded", "current"] and rows[1]["superseded_at"] == ""
    assert list(rows[0]) == list(records[0])
    import iprisk.cli

    monkeypatch.setattr(iprisk.cli.out, "_width", 160)  # a terminal wide enough for the table
    code, out, _ = run("submissions", "--warehouse", wh)
    assert code == 0 and "2 submission version(s)" in out
    lines = [line for line in out.splitlines() if records[0]["content_hash"][:12] in line]
    assert (
        len(lines) == 1 and "superseded" in lines[0] and "alice" in lines[0] and "DE_2016Q3.csv" in lines[0]
    )
    code, _, _ = run("submissions", "--warehouse", wh, "--format", "xml")
    assert code == 2


def test_export_round_trip_and_as_of(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    f1 = write_seizures_csv(tmp_path / "v1.csv", "CN", "2017Q1", n=8)
    f2 = write_seizures_csv(tmp_path / "v2.csv", "CN", "2017Q1", n=9, variant=2)
    assert run("submit", f1, "--warehouse", wh)[0] == 0
    with Warehouse.open(wh) as w:
        t1 = w.submissions().iloc[0].submitted_at
    assert run("submit", f2, "--warehouse", wh)[0] == 0
    for suffix in (".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"export{suffix}"
        code, stdout, err = run("export", "seizures", "--out", out, "--warehouse", wh, "--admin", "CN")
        assert code == 0, err
        assert "9 seizure lines" in stdout
        assert read_seizures(out).content_hash == read_seizures(f2).content_hash
    then = tmp_path / "then.parquet"
    code, _, _ = run("export", "seizures", "--out", then, "--as-of", t1.isoformat(), "--warehouse", wh)
    assert code == 0 and read_seizures(then).content_hash == read_seizures(f1).content_hash


def test_reading_commands_do_not_create_a_missing_warehouse(tmp_path: Path, run) -> None:
    typo = tmp_path / "typo.duckdb"
    for argv in (["submissions"], ["export", "seizures", "--out", str(tmp_path / "x.csv")]):
        code, _, err = run(*argv, "--warehouse", typo)
        assert code == 1 and f"warehouse not found: {typo}" in err
    assert not typo.exists()


def test_warehouse_setting_from_the_environment(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = tmp_path / "env.duckdb"
    monkeypatch.setenv("IPRISK_WAREHOUSE", str(wh))
    get_settings.cache_clear()
    assert run("submit", write_seizures_csv(tmp_path / "a.csv"))[0] == 0
    code, out, _ = run("submissions", "--format", "csv")
    assert code == 0 and len(out.strip().splitlines()) == 2
    assert wh.exists()


def test_console_script_exit_codes(tmp_path: Path) -> None:
    # The real process: what scripts outside the project see.
    bad = write_invalid_csv(tmp_path / "bad.csv", bad_rows=2)
    proc = subprocess.run(
        [sys.executable, "-m", "iprisk", "submit", str(bad), "--warehouse", str(tmp_path / "wh.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "spaceships" in proc.stderr


def test_submit_stores_what_the_library_stores(tmp_path: Path, run) -> None:
    files = [
        write_seizures_csv(tmp_path / "DE_2016Q3.csv", n=5),
        write_seizures_csv(tmp_path / "NL_2016Q4.csv", "NL", "2016Q4", n=4, variant=2),
    ]
    assert run("submit", *files, "--warehouse", tmp_path / "cli.duckdb")[0] == 0
    with Warehouse.open(tmp_path / "lib.duckdb") as wh:
        results = [wh.submit(f) for f in files]
    assert [r.status for r in results] == ["stored", "stored"]
    tables = []
    for name in ("cli.duckdb", "lib.duckdb"):
        with Warehouse.open(tmp_path / name) as wh:
            log = wh.submissions().drop(columns=["submitted_at"])
            lines = (
                wh.seizures()
                .to_pandas()
                .sort_values(["submission_id", "case_id", "line_no"], ignore_index=True)
            )
        tables.append((log, lines))
    (cli_log, cli_lines), (lib_log, lib_lines) = tables
    assert len(cli_lines) == 9
    pd.testing.assert_frame_equal(cli_log, lib_log)
    pd.testing.assert_frame_equal(cli_lines, lib_lines)
