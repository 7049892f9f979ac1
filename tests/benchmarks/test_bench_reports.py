"""The report benchmark's data: the case codes it adds are stored once beside the seizure file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from benchmarks.bench_reports import _tables, _with_case_codes

from iprisk.codes import OUTCOMES, PROCEDURES


def _lines(path: Path) -> Path:
    cases = [str(i // 2) for i in range(40)]  # two lines per case
    pq.write_table(pa.table({"case_id": cases, "articles": list(range(40))}), path)
    return path


def test_case_codes_are_stored_once_per_case_beside_the_lines(tmp_path: Path) -> None:
    path = _lines(tmp_path / "seizures.parquet")
    stored = _with_case_codes(path)
    assert stored.parent == tmp_path and stored != path
    table = pq.read_table(stored).to_pandas()
    assert len(table) == 40 and sorted(table["articles"]) == list(range(40))
    assert set(table["procedure"]) <= set(PROCEDURES) and set(table["outcome"]) <= set(OUTCOMES)
    assert table.groupby("case_id")[["procedure", "outcome"]].nunique().max().max() == 1  # one per case
    written = stored.stat().st_mtime_ns
    assert _with_case_codes(path) == stored and stored.stat().st_mtime_ns == written  # not drawn again
    assert not list(tmp_path.glob("*.partial"))


def test_both_sides_read_the_stored_file(tmp_path: Path) -> None:
    source = _tables(_lines(tmp_path / "seizures.parquet"))
    assert {"procedure", "outcome"} <= set(source.seizures().columns)
