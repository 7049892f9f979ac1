"""Statistics received from the peer node: idempotent by message id, in the sender's order of versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from iprisk.errors import InvalidSubmission
from iprisk.formats import SeizureBatch, read_seizures
from iprisk.warehouse import ALREADY_RECEIVED, OBSOLETE, Origin, Warehouse

HEADER = (
    "case_id,line_no,reporting_admin,office,detention_date,flow,transport_mode,provenance_country,"
    "destination_country,product_category,ipr_type,procedure,articles,retail_value_eur"
)


def _batch(tmp_path: Path, articles: int) -> SeizureBatch:
    path = tmp_path / f"cn-{articles}.csv"
    line = f"SH-1,1,CN,CNSHA,2026-01-15,export,sea,CN,NL,shoes,trademark,ex_officio,{articles},100.00"
    path.write_text(f"{HEADER}\n{line}\n")
    return read_seizures(path)


def _origin(message: str, version: int) -> Origin:
    return Origin("CN", message, version, datetime(2026, 2, 1, tzinfo=UTC))


def test_a_received_version_is_stored_once_with_its_origin(tmp_path: Path) -> None:
    first = _batch(tmp_path, 5)
    with Warehouse.open(tmp_path / "eu.duckdb") as wh:
        stored = wh.receive(first, _origin("m1", 1))
        again = wh.receive(first, _origin("m1", 1))  # the same message, retried after a crash
        assert (stored.status, again.status) == ("stored", ALREADY_RECEIVED)
        assert again.submission_id == stored.submission_id
        log = wh.submissions()
        origins = wh.origins()
        lines = wh.version_lines(stored.submission_id)
    assert len(log) == 1 and log.loc[0, "submitted_by"] == "CN (channel)"
    assert origins[["message_id", "origin_node", "origin_version", "applied"]].values.tolist() == [
        ["m1", "CN", 1, True]
    ]
    assert lines.num_rows == 1 and lines.column("articles").to_pylist() == [5]
    assert lines.schema.names == list(first.table.schema.names)


def test_an_older_version_arriving_after_a_newer_one_does_not_become_current(tmp_path: Path) -> None:
    v1, v2 = _batch(tmp_path, 5), _batch(tmp_path, 7)
    with Warehouse.open(tmp_path / "eu.duckdb") as wh:
        assert wh.receive(v2, _origin("m2", 2)).status == "stored"
        late = wh.receive(v1, _origin("m1", 1))
        current = wh.seizures(admin="CN").to_pyarrow()
        origins = wh.origins()
    assert late.status == OBSOLETE and late.submission_id is None
    assert current.column("articles").to_pylist() == [7]
    assert origins.set_index("message_id").loc["m1", "applied"] == False  # noqa: E712 (numpy bool)


def test_a_failure_inside_receiving_writes_nothing(tmp_path: Path) -> None:
    good = _batch(tmp_path, 5)
    broken = replace(good, table=pa.table({"reporting_admin": ["CN"]}))  # lines missing every column
    with Warehouse.open(tmp_path / "eu.duckdb") as wh:
        with pytest.raises(InvalidSubmission, match="column missing"):
            wh.receive(broken, _origin("m1", 1))
        assert wh.submissions().empty and wh.origins().empty
        assert wh.receive(good, _origin("m1", 1)).status == "stored"
