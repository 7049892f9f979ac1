from __future__ import annotations

from pathlib import Path

from benchmarks.bench_kcs import run


def test_benchmark_skips_without_data(tmp_path: Path) -> None:
    rows = run(tmp_path / "out", data=tmp_path / "absent")
    assert len(rows) == 1 and rows[0]["name"].startswith("SKIPPED") and "absent" in rows[0]["skipped"]
