"""Issue 16, class 8: resource exhaustion. Each bomb runs in a child process under a memory limit and must be
refused with an error naming the limit and its setting, in bounded time, storing nothing."""

from __future__ import annotations

import hashlib
import io
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.formats._data import seizure_row, seizure_rows, write_csv

ROOT = Path(__file__).resolve().parents[2]
# The child runs under an address-space limit (a safety net: a bomb would need many gigabytes; DuckDB and
# Arrow reserve address space beyond what they use, so the limit is wider than the peak memory asserted).
MEMORY_LIMIT = 4_000_000_000
PEAK_RSS_LIMIT_MB = 1_500  # the resident memory a refused bomb may have taken, at most
TIME_LIMIT_S = 60.0  # generous on a loaded 2-core machine; a bomb takes minutes


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _iprisk(
    *args: str | Path, cwd: Path, limited: bool = True, env: dict[str, str] | None = None
) -> tuple[int, str, float]:
    """Run ``iprisk`` in a child; returns its exit code, stderr and wall time."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S * 2,
        preexec_fn=_limit_memory if limited else None,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "src"),
            "IPRISK_USER": "tester",
            **(env or {}),
        },
    )
    peak = int(done.stdout.split()[-1]) / 1024 if done.stdout.split() else 0.0
    assert peak < PEAK_RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    return done.returncode, done.stderr, time.monotonic() - start


# The child's own peak resident memory (VmHWM), printed whatever the exit code.
_CHILD = """
import atexit, sys
atexit.register(lambda: print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]))
sys.argv[0] = 'iprisk'
from iprisk.cli import main
main(sys.argv[1:])
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Path, str]:
    """A warehouse holding one submission, and its content digest (compared after each bomb)."""
    wh = tmp_path / "wh.duckdb"
    ok = write_csv(seizure_rows(2), tmp_path / "ok.csv")
    code, err, _ = _iprisk("submit", ok, "-w", wh, cwd=tmp_path, limited=False)
    assert code == 0, err
    return wh, hashlib.sha256(wh.read_bytes()).hexdigest()


def _refused(result: tuple[int, str, float], setting: str) -> None:
    code, err, seconds = result
    assert code == 3, err
    assert setting in err and "Traceback" not in err and "MemoryError" not in err
    assert seconds < TIME_LIMIT_S


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    text = "a0: &a0 [" + ", ".join(["lol"] * width) + "]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]\n"
    return text


def test_yaml_alias_bomb_in_a_mapping(tmp_path: Path, warehouse: tuple[Path, str]) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("format: seizures\n" + _billion_laughs())
    assert len(bomb.read_bytes()) < 600  # the 570-byte bomb of the issue
    good = write_csv(seizure_rows(2), tmp_path / "DE.csv")
    _refused(
        _iprisk("submit", good, "--mapping", bomb, "-w", warehouse[0], cwd=tmp_path), "max_document_nodes"
    )
    assert hashlib.sha256(warehouse[0].read_bytes()).hexdigest() == warehouse[1]


def test_yaml_alias_bomb_in_profiles(tmp_path: Path) -> None:
    bomb = tmp_path / "profiles.yaml"
    bomb.write_text(_billion_laughs(levels=30, width=2))  # few aliases, 2**30 values
    db = tmp_path / "ops.sqlite"
    _refused(_iprisk("profiles", "import", bomb, "--db", db, cwd=tmp_path), "max_document_nodes")


def test_many_aliases_are_refused_before_anything_is_built() -> None:
    from iprisk.errors import LimitExceeded
    from iprisk.security import parse_yaml

    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(LimitExceeded, match="IPRISK_MAX_YAML_ALIASES"):
        parse_yaml(text, "aliases.yaml")
    assert parse_yaml("a: &a 1\nb: [*a, *a]\n", "few.yaml") == {"a": 1, "b": [1, 1]}


def _xlsx(path: Path, sheet_xml: bytes) -> Path:
    """A workbook written by openpyxl whose first sheet is then replaced by ``sheet_xml`` (deflated)."""
    import openpyxl

    plain = path.with_suffix(".plain.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["case_id"])
    book.save(plain)
    with (
        zipfile.ZipFile(plain) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for item in src.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item)
            out.writestr(item.filename, data)
    plain.unlink()
    return path


_SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def test_xlsx_zip_bomb(tmp_path: Path, warehouse: tuple[Path, str]) -> None:
    header = "".join(f'<c t="inlineStr"><is><t>{k}</t></is></c>' for k in seizure_row(1))
    blank = b"<row><c><v></v></c></row>" * 8_000_000  # 200 MB of XML, a few hundred KB zipped
    sheet = _SHEET + b"<sheetData><row>" + header.encode() + b"</row>" + blank + b"</sheetData></worksheet>"
    book = _xlsx(tmp_path / "bomb.xlsx", sheet)
    del sheet, blank
    assert book.stat().st_size < 2_000_000
    _refused(_iprisk("submit", book, "-w", warehouse[0], cwd=tmp_path), "max_compression_ratio")
    assert hashlib.sha256(warehouse[0].read_bytes()).hexdigest() == warehouse[1]


def test_xlsx_forged_dimension_and_far_cells(tmp_path: Path, warehouse: tuple[Path, str]) -> None:
    # a declared dimension of 16384 columns x 1 M rows, and a header cell at column XFD: every row would be
    # padded to 16384 cells
    sheet = (
        _SHEET
        + b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t>'
        b'</is></c><c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row></sheetData></worksheet>'
    )
    _refused(
        _iprisk("submit", _xlsx(tmp_path / "wide.xlsx", sheet), "-w", warehouse[0], cwd=tmp_path),
        "max_columns",
    )


def test_csv_with_200k_columns(tmp_path: Path, warehouse: tuple[Path, str]) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(200_000)) + "\n" + "," * 199_999 + "\n")
    _refused(_iprisk("submit", wide, "-w", warehouse[0], cwd=tmp_path), "max_columns")
    assert hashlib.sha256(warehouse[0].read_bytes()).hexdigest() == warehouse[1]


def test_long_cell_and_long_line(tmp_path: Path, warehouse: tuple[Path, str]) -> None:
    rows = seizure_rows(2)
    rows[1] = seizure_row(2, right_holder_ref="x" * 40_000)
    _refused(
        _iprisk("submit", write_csv(rows, tmp_path / "cell.csv"), "-w", warehouse[0], cwd=tmp_path),
        "max_cell_chars",
    )
    unclosed = tmp_path / "quote.csv"
    buffer = io.StringIO()
    buffer.write(
        ",".join(seizure_row(1)) + "\n" + ",".join(seizure_row(1).values()) + '\n"' + "y" * 3_000_000
    )
    unclosed.write_text(buffer.getvalue() + "\n")
    small = {"IPRISK_MAX_LINE_BYTES": str(1 << 20)}
    _refused(_iprisk("submit", unclosed, "-w", warehouse[0], cwd=tmp_path, env=small), "max_line_bytes")
    assert hashlib.sha256(warehouse[0].read_bytes()).hexdigest() == warehouse[1]


def test_rows_limit_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iprisk.errors import LimitExceeded
    from iprisk.formats import read_seizures
    from iprisk.settings import get_settings

    monkeypatch.setenv("IPRISK_MAX_ROWS", "3")
    get_settings.cache_clear()
    try:
        with pytest.raises(LimitExceeded, match="IPRISK_MAX_ROWS") as info:
            read_seizures(write_csv(seizure_rows(4), tmp_path / "s.csv"))
        assert info.value.setting == "max_rows"
    finally:
        get_settings.cache_clear()
