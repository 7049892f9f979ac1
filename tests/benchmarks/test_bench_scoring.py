from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from benchmarks.bench_scoring import make_data, make_profiles, same_output

from tests.targeting.synthetic import declarations


def test_benchmark_data_has_new_ids_and_perturbed_values(tmp_path: Path) -> None:
    base = pa.Table.from_pandas(declarations(300, seed=9), preserve_index=False)
    make_data(base, tmp_path / "big.parquet", rows=1000)
    big = pq.read_table(tmp_path / "big.parquet")
    assert big.num_rows == 1000 and big.schema == base.schema
    assert pc.count_distinct(big.column("declaration_id")).as_py() == 1000
    first, later = big.slice(0, 300), big.slice(300, 300)
    assert first.column("value").equals(base.column("value"))  # the first copy is the original
    changed = (later.column("value").to_numpy() != base.column("value").to_numpy()).mean()
    assert 0.3 < changed < 0.7
    profiles = make_profiles(base, n=6)
    assert len(profiles) == 6 and all(p.status == "active" for p in profiles)


def test_same_output_tells_the_last_bit(tmp_path: Path) -> None:
    score = np.array([0.1, 0.25, 0.7])
    table = pa.table({"declaration_id": ["a", "b", "c"], "score": score, "matched_profiles": ["", "P1", ""]})
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table, tmp_path / "b.parquet")
    assert same_output(tmp_path / "a.parquet", tmp_path / "b.parquet")
    nudged = table.set_column(1, "score", pa.array(np.nextafter(score, 1.0)))
    pq.write_table(nudged, tmp_path / "c.parquet")
    assert not same_output(tmp_path / "a.parquet", tmp_path / "c.parquet")
    other = table.set_column(2, "matched_profiles", pa.array(["", "P2", ""]))
    pq.write_table(other, tmp_path / "d.parquet")
    assert not same_output(tmp_path / "a.parquet", tmp_path / "d.parquet")
