"""The report benchmark's full-shape data, stored once beside the seizure file: case codes, arrival ports on
listed ports, planted surges."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from benchmarks.bench_reports import SURGE_QUARTERS, SURGES, _listed_arrival, _tables, _with_case_codes

from iprisk.codes import OUTCOMES, PORTS, PROCEDURES


def _lines(path: Path) -> Path:
    cases = [str(i // 2) for i in range(40)]  # two lines per case
    surging, other = SURGES[0], ("CN", "toys")
    segments = [surging if i < 4 else other for i in range(40)]
    pq.write_table(
        pa.table(
            {
                "case_id": cases,
                "articles": list(range(40)),
                "quarter": [SURGE_QUARTERS[0] if i % 4 < 2 else "2019Q1" for i in range(40)],
                "provenance_country": [s[0] for s in segments],
                "product_category": [s[1] for s in segments],
                "arrival_port": ["DEAAA" if i % 3 else "NLBBB" for i in range(40)],
            }
        ),
        path,
    )
    return path


def test_case_codes_are_stored_once_per_case_beside_the_lines(tmp_path: Path) -> None:
    path = _lines(tmp_path / "seizures.parquet")
    stored = _with_case_codes(path)
    assert stored.parent == tmp_path and stored != path
    table = pq.read_table(stored).to_pandas()
    original = table[~table["case_id"].str.contains("surge")]
    assert len(original) == 40 and sorted(original["articles"]) == list(range(40))
    assert set(table["procedure"]) <= set(PROCEDURES) and set(table["outcome"]) <= set(OUTCOMES)
    assert table.groupby("case_id")[["procedure", "outcome"]].nunique().max().max() == 1  # one per case
    written = stored.stat().st_mtime_ns
    assert _with_case_codes(path) == stored and stored.stat().st_mtime_ns == written  # not drawn again
    assert not list(tmp_path.glob("*.partial"))


def test_both_sides_read_the_stored_file(tmp_path: Path) -> None:
    source = _tables(_lines(tmp_path / "seizures.parquet"))
    assert {"procedure", "outcome"} <= set(source.seizures().columns)


def test_arrival_ports_land_on_listed_ports_of_their_country(tmp_path: Path) -> None:
    table = pq.read_table(_with_case_codes(_lines(tmp_path / "seizures.parquet"))).to_pandas()
    assert set(table["arrival_port"]) == {_listed_arrival("DEAAA"), _listed_arrival("NLBBB")}
    assert all(port in PORTS and port[:2] in ("DE", "NL") for port in table["arrival_port"])
    assert _listed_arrival("DEAAA") != _listed_arrival("DEBBB")  # placeholders stay apart
    with pytest.raises(ValueError, match="XXAAA"):
        _listed_arrival("XXAAA")


def test_surging_segments_are_tripled_in_the_surge_quarters_only(tmp_path: Path) -> None:
    table = pq.read_table(_with_case_codes(_lines(tmp_path / "seizures.parquet"))).to_pandas()
    # lines 0..3 are the surging segment; of them lines 0, 1 fall in a surge quarter
    surging = table[table["product_category"] == SURGES[0][1]]
    assert sorted(surging["articles"]) == [0, 0, 0, 1, 1, 1, 2, 3]
    copies = table[table["case_id"].str.contains("surge")]
    assert set(copies["quarter"]) == {SURGE_QUARTERS[0]} and copies["case_id"].nunique() == 2
