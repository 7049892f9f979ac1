from __future__ import annotations

from pathlib import Path

from benchmarks.bench_channel import run


def test_the_channel_benchmark_runs_small(tmp_path: Path) -> None:
    rows = run(tmp_path, schedules=3, log_size=300, seconds=0.05)
    by_unit = {row["unit"]: row for row in rows}
    assert by_unit["msg/s"]["value"] > 0 and 0 < by_unit["msg/s"]["ratio"] < 1  # crypto costs, JSON does not
    assert by_unit["schedules"]["value"] >= 3 and by_unit["schedules"]["ok"]
    tamper = [row for row in rows if row["unit"] == "refused"]
    assert len(tamper) == 7 and all(row["ok"] and row["value"] == row["target"] for row in tamper)
    assert all(row["value"] > 0 for row in rows)
