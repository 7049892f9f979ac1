"""The submit profile times every stage of a real submission, and puts the timed functions back after."""

from __future__ import annotations

from pathlib import Path

from benchmarks.profile_submit import profile_once

import iprisk.formats.seizures as seizures
import iprisk.warehouse.core as core
from iprisk.formats import SEIZURES


def test_every_stage_of_a_small_submission_is_timed_and_the_functions_restored(tmp_path: Path) -> None:
    from benchmarks.bench_submit import make_file

    read_raw, store_batch = seizures.read_raw, core.store_batch
    path = make_file(tmp_path, 2_000)
    stages = profile_once(path, tmp_path)

    assert seizures.read_raw is read_raw and core.store_batch is store_batch
    for column in SEIZURES:
        assert f"validate:   rules of {column}" in stages
    for name in (
        "read:   parse CSV (pyarrow)",
        "validate: duplicate keys",
        "hash: content hash (sort + SHA-256)",
        "store:   insert the lines",
        "store: close (checkpoint)",
    ):
        assert name in stages
    assert all(wall >= 0 and cpu >= 0 for wall, cpu in stages.values())
    # nested stages fit in the ones that hold them
    total = stages["submit (total)"][0]
    read = stages["read + validate + hash (read_seizures)"][0]
    assert stages["read: read_raw (total)"][0] <= read
    assert stages["read:   parse CSV (pyarrow)"][0] <= stages["read: read_raw (total)"][0]
    assert stages["store:   insert the lines"][0] <= stages["store: transaction (total)"][0]
    assert read + stages["store: transaction (total)"][0] <= total
