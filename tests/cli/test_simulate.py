"""``iprisk simulate`` through the real entry point."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from iprisk.cli import main
from iprisk.simulate import simulate


def test_cli_simulate_writes_a_world(tmp_path: Path) -> None:
    args = ["simulate", "--start", "2016Q1", "--end", "2016Q1", "--scale", "0.002", "--seed", "1", "--out"]
    main([*args, str(tmp_path)])  # returns normally on success
    assert list((tmp_path / "seizures").glob("*_2016Q1.csv"))
    assert (tmp_path / "truth.json").exists()


def test_cli_refuses_a_malformed_quarter(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--start", "2016Q5", "--out", str(tmp_path / "w")])
    assert info.value.code == 2
    assert not (tmp_path / "w").exists()


def test_the_command_writes_what_the_library_writes(tmp_path: Path) -> None:
    argv = ["--start", "2016Q3", "--end", "2016Q4", "--scale", "0.003", "--seed", "4"]
    main(["simulate", *argv, "--out", str(tmp_path / "cli")])
    summary = simulate(start="2016Q3", end="2016Q4", scale=0.003, seed=4, out_dir=tmp_path / "lib")
    assert summary.seizure_files
    cli, lib = _digest(tmp_path / "cli"), _digest(tmp_path / "lib")
    assert cli == lib and len(cli) == len(summary.seizure_files) + 1  # the seizure files and truth.json
    for name in ("declarations.parquet", "truth_declarations.parquet", "trade.parquet"):
        assert pq.read_table(tmp_path / "cli" / name).equals(pq.read_table(tmp_path / "lib" / name))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".csv", ".json")
    }
