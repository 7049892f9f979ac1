"""Quarterly statistics between two nodes: every version of this side's submissions reaches the peer, is
validated there with the same rules and stored with its provenance; a crash between the two databases
loses nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iprisk.exchange import verify_receipt
from iprisk.formats import read_seizures
from iprisk.link import reconcile, sync_statistics
from iprisk.link.stats import STATS_KIND, encode_version
from iprisk.warehouse import Warehouse
from tests.link.twonodes import Side

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DE = EXAMPLES / "seizures" / "DE_2016Q3.csv"
CN = EXAMPLES / "seizures" / "CN_2016Q3_national.csv"
CN_MAPPING = EXAMPLES / "mappings" / "cn-gacc.yaml"


def _submit(side: Side, path: Path, **kwargs: object) -> None:
    with Warehouse.open(side.link.warehouse) as wh:
        wh.submit(path, **kwargs)  # type: ignore[arg-type]


def _log(side: Side) -> pd.DataFrame:
    with Warehouse.open(side.link.warehouse) as wh:
        return wh.submissions()


def test_each_side_sends_its_own_statistics_and_both_end_up_holding_the_same(
    nodes: tuple[Side, Side],
) -> None:
    eu, cn = nodes
    _submit(eu, DE)
    _submit(cn, CN, mapping=CN_MAPPING)
    _submit(eu, CN, mapping=CN_MAPPING)  # China's statistics, submitted at the EU node: not the EU's to send
    assert len(sync_statistics(eu.link)) == 1 and len(sync_statistics(cn.link)) == 1
    assert sync_statistics(eu.link) == []  # queued once
    assert eu.link.deliver().received == 1 and cn.link.deliver().received == 1
    with Warehouse.open(cn.link.warehouse) as wh:
        origins = wh.origins()
        log = wh.submissions()
    assert origins[["origin_node", "reporting_admin", "origin_version", "applied"]].values.tolist() == [
        ["EU", "DE", 1, True]
    ]
    with cn.link.store.transaction() as tx:
        incoming = tx.incoming()
    assert [m.id for m in incoming] == origins["message_id"].tolist()  # provenance: sender, message, receipt
    assert verify_receipt(
        incoming[0].receipt, cn.link.rings() | {"CN": _ring_of(eu, "CN")}, eu.node.clock.now()
    )
    assert set(log["reporting_admin"]) == {"CN", "DE"}
    assert reconcile(eu.link, "CN").ok and reconcile(cn.link, "EU").ok


def _ring_of(side: Side, node: str):  # type: ignore[no-untyped-def]
    return side.link.rings()[node]


def test_a_superseding_version_travels_and_becomes_current_at_the_peer(
    nodes: tuple[Side, Side], tmp_path: Path
) -> None:
    eu, cn = nodes
    _submit(eu, DE)
    changed = tmp_path / "DE_2016Q3_v2.csv"
    text = DE.read_text(encoding="utf-8").splitlines()
    changed.write_text("\n".join([text[0], *text[2:]]) + "\n", encoding="utf-8")  # one line withdrawn
    _submit(eu, changed)
    sync_statistics(eu.link)
    assert eu.link.deliver().received == 2
    current = _log(cn).query("status == 'current'")
    assert current["content_hash"].tolist() == [read_seizures(changed).content_hash]
    assert reconcile(eu.link, "CN").ok


def test_a_crash_between_the_warehouse_and_the_outbox_loses_nothing(nodes: tuple[Side, Side]) -> None:
    """The submission is committed in the warehouse; the process dies before anything is queued. The next
    sync (a restarted worker, or iprisk exchange deliver) finds it in the submission log and queues it."""
    eu, cn = nodes
    _submit(eu, DE)  # ...crash here: nothing in the outbox
    with eu.link.store.transaction() as tx:
        assert tx.outgoing() == []
    assert len(sync_statistics(eu.link)) == 1  # after the restart
    assert eu.link.deliver().received == 1
    assert _log(cn)["reporting_admin"].tolist() == ["DE"]


def test_content_that_fails_validation_at_the_peer_is_refused_with_the_problems(
    nodes: tuple[Side, Side],
) -> None:
    eu, cn = nodes
    batch = read_seizures(DE)
    lines = batch.table
    negative = lines.set_column(
        lines.schema.get_field_index("articles"),
        "articles",
        pa.array([-5] * lines.num_rows, type=lines.schema.field("articles").type),
    )
    meta = {
        "admin": "DE",
        "quarter": "2016Q3",
        "version": 1,
        "content_hash": batch.content_hash,
        "submitted_at": "2016-10-01T00:00:00+00:00",
    }
    cases = {
        "invalid": encode_version(negative, meta),
        "hash": encode_version(lines, {**meta, "content_hash": "0" * 64}),
        "side": encode_version(lines, {**meta, "admin": "CN"}),
        "unreadable": b"PAR1 but not Parquet",
        "no metadata": _parquet(lines),
    }
    with eu.link.store.transaction() as tx:
        ids = {case: eu.link.send(tx, STATS_KIND, "CN", payload).id for case, payload in cases.items()}
    assert eu.link.deliver().failed == 5
    with eu.link.store.transaction() as tx:
        reasons = {m.id: m.reason or "" for m in tx.outgoing("failed")}
    assert "InvalidSubmission" in reasons[ids["invalid"]] and "articles" in reasons[ids["invalid"]]
    assert "content hash" in reasons[ids["hash"]]
    assert "cannot send the statistics of CN" in reasons[ids["side"]]
    assert "not a Parquet file" in reasons[ids["unreadable"]]
    assert "iprisk.admin: [metadata] missing from the statistics message" in reasons[ids["no metadata"]]
    assert _log(cn).empty


def test_messages_wait_for_an_unreachable_peer_and_go_when_it_is_back(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    _submit(eu, DE)
    sync_statistics(eu.link)
    app, cn.app.state.link = cn.app.state.link, None  # the peer answers 503: not now
    first = eu.link.deliver()
    assert (first.attempted, first.received) == (1, 0) and "PeerUnreachable" in first.transport_errors[0]
    cn.app.state.link = app
    eu.node.clock.advance(timedelta(minutes=15))
    assert eu.link.deliver().received == 1


def _parquet(lines: pa.Table) -> bytes:
    """The lines as Parquet without the submission's metadata."""
    buffer = io.BytesIO()
    pq.write_table(lines, buffer)
    return buffer.getvalue()
