"""Backup and restore of a node (``iprisk node backup|restore``) while messages are in flight: after the
restore, the messages not receipted at the backup are sent again at once, the peer answers those it had
already applied with their stored receipts, and none is applied twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from iprisk.link.probe import send_probes
from iprisk.link.status import counts
from iprisk.node import backup_node, restore_node
from iprisk.node.keys import create_audit_keys
from iprisk.store.channel import IncomingRow, OutgoingRow
from tests.link.twonodes import two_nodes


def test_messages_in_flight_at_a_backup_are_delivered_once_after_the_restore(tmp_path: Path) -> None:
    import iprisk.link.service  # noqa: F401  (the channel's restore hook, as the restore command imports it)

    eu, cn = two_nodes(tmp_path)
    create_audit_keys(eu.node.settings.key_folder, "EU")  # the rest of what iprisk node init makes
    ids = send_probes(eu.link, "CN", 5)
    assert eu.link.deliver(limit=2).received == 2  # two receipted before the backup
    # three taken by a worker (held for an hour) and sent: in flight at the backup; one reached the peer
    in_flight = eu.link.outbox().claim_due(10, lease=timedelta(hours=1))
    assert len(in_flight) == 3
    cn.link.receive(in_flight[0].wire)
    backup_node(eu.node, tmp_path / "eu.tar.gz")  # type: ignore[arg-type]
    for message in in_flight[1:]:  # the other two reach the peer after the backup; no receipt is kept
        cn.link.receive(message.wire)

    restore_node(tmp_path / "eu.tar.gz", eu.node.settings, force=True)
    assert counts(eu.link).outgoing == {**counts(eu.link).outgoing, "received": 2, "sent": 3}
    # due at once, within their lease (the restore hook); the peer answers with the receipts it stored
    assert eu.link.deliver().received == 3
    with eu.link.store.transaction() as tx:
        assert sorted(m.id for m in tx.outgoing("received")) == sorted(ids)
    with cn.node.engine.connect() as con:
        assert con.execute(select(func.count()).select_from(IncomingRow)).scalar() == 5
    with eu.node.engine.connect() as con:
        assert con.execute(select(func.count()).select_from(OutgoingRow)).scalar() == 5
