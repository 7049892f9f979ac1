"""Opening untrusted files: a warehouse file is data, not code; read-only opens list and export.

Issue 16, "Opening untrusted files" and class 12 (read-only listing, lower-case --admin).
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from iprisk.errors import InvalidValue, Unsupported, WarehouseError
from iprisk.warehouse import Warehouse
from tests.warehouse.samples import make_batch

pytestmark = pytest.mark.usefixtures("fresh_settings")


def _crafted(tmp_path: Path, secret: Path) -> Path:
    """A warehouse whose seizure_lines is a view reading a local file."""
    wh = tmp_path / "crafted.duckdb"
    Warehouse.open(wh).close()
    con = duckdb.connect(str(wh))
    columns = [r[0] for r in con.execute("DESCRIBE seizure_lines").fetchall()]
    select = ", ".join(f"{'column0' if i == 0 else 'NULL'} AS {c}" for i, c in enumerate(columns))
    con.execute("DROP TABLE seizure_lines")
    con.execute(f"CREATE VIEW seizure_lines AS SELECT {select} FROM read_csv('{secret}', header = false)")
    con.close()
    return wh


def test_a_crafted_view_cannot_read_local_files(tmp_path: Path, run) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("TOP-SECRET-LINE\n")
    wh = _crafted(tmp_path, secret)
    out = tmp_path / "leak.csv"
    code, stdout, err = run("export", "seizures", "-w", wh, "--out", out)
    assert code != 0 and "TOP-SECRET" not in stdout + err and not out.exists()
    assert "disabled by configuration" in err and "Traceback" not in err


def test_a_sqlite_file_is_refused_without_reaching_for_the_network(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x)")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(WarehouseError, match="extensions is disabled"):
        Warehouse.open(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_reading_commands_open_read_only(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    with Warehouse.open(wh) as w:
        w.submit(make_batch("DE", "2016Q3"))
    # another process reads the file: a read-write open would wait for it (busy), a read-only one shares it
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(wh)!r}, read_only=True); "
         "print('x', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "x"
        code, out, err = run("submissions", "-w", wh, "--format", "csv")
        assert code == 0 and "DE" in out, err
        code, _, err = run("export", "seizures", "-w", wh, "--out", tmp_path / "x.parquet")
        assert code == 0, err
    finally:
        holder.kill()
        holder.communicate()
    with Warehouse.open(wh, read_only=True) as w:
        assert not w.writable
        with pytest.raises(Unsupported, match="read-only"):
            w.submit(make_batch("NL", "2016Q3"))


def test_lower_case_admin_matches_or_is_refused(tmp_path: Path, run) -> None:
    wh = tmp_path / "wh.duckdb"
    with Warehouse.open(wh) as w:
        w.submit(make_batch("DE", "2016Q3"))
        assert w.seizures(admin="de").count().to_pyarrow().as_py() == 5
        with pytest.raises(InvalidValue, match="not an ISO"):
            w.submissions(admin="Germany")
    code, out, _ = run("export", "seizures", "-w", wh, "--admin", "de", "--out", tmp_path / "x.csv")
    assert code == 0 and "5 seizure lines" in out
    code, _, err = run("export", "seizures", "-w", wh, "--admin", "xx", "--out", tmp_path / "y.csv")
    assert code == 2 and "not an ISO 3166-1" in err
