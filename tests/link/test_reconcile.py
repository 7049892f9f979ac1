"""Reconciliation names every difference between the two nodes' holdings."""

from __future__ import annotations

from pathlib import Path

from iprisk.link import compare, reconcile, sync_statistics
from iprisk.warehouse import Warehouse
from tests.link.test_stats import DE
from tests.link.twonodes import Side


def test_a_submission_changed_or_missing_at_the_peer_is_named(
    nodes: tuple[Side, Side], tmp_path: Path
) -> None:
    eu, cn = nodes
    with Warehouse.open(eu.link.warehouse) as wh:
        wh.submit(DE)
    sync_statistics(eu.link)
    eu.link.deliver()
    assert reconcile(eu.link, "CN").ok
    changed = tmp_path / "DE_changed.csv"
    lines = DE.read_text(encoding="utf-8").splitlines()
    changed.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with Warehouse.open(cn.link.warehouse) as wh:  # someone at CN altered the EU's statistics locally
        wh.submit(changed)
    result = reconcile(eu.link, "CN")
    assert not result.ok and result.submissions == 1
    (difference,) = result.differences
    assert (difference.what, difference.key, difference.problem) == (
        "submission",
        "DE 2016Q3",
        "content differs",
    )
    assert "DE 2016Q3: content differs" in str(difference)


def test_compare_names_what_one_side_lacks_and_profiles_that_disagree() -> None:
    ours = {
        "node": "EU",
        "submissions": [{"admin": "DE", "quarter": "2016Q3", "version": 1, "hash": "a" * 64, "rows": 3}],
        "profiles": [{"id": "P1", "version": 2, "status": "active"}],
    }
    theirs = {
        "node": "CN",
        "submissions": [{"admin": "CN", "quarter": "2016Q3", "version": 1, "hash": "b" * 64, "rows": 5}],
        "profiles": [{"id": "P1", "version": 2, "status": "approved"}],
    }
    result = compare(ours, theirs)
    assert [(d.key, d.problem) for d in result.differences] == [
        ("CN 2016Q3", "missing here"),
        ("DE 2016Q3", "missing at the peer"),
        ("P1", "version, state or approvals differ"),
    ]
    assert compare(ours, {**ours, "node": "CN"}).ok


def test_the_message_log_shows_both_directions_and_the_counts(nodes: tuple[Side, Side]) -> None:
    from iprisk.link.status import attempts_of, counts, message_log

    eu, cn = nodes
    with Warehouse.open(eu.link.warehouse) as wh:
        wh.submit(DE)
    sync_statistics(eu.link)
    eu.link.deliver()
    (out,) = message_log(eu.link)
    (inc,) = message_log(cn.link)
    assert (out.direction, out.kind, out.peer, out.state, out.attempts) == (
        "out",
        "stats",
        "CN",
        "received",
        1,
    )
    assert (inc.direction, inc.id, inc.peer, inc.state) == ("in", out.id, "EU", "accepted")
    assert message_log(eu.link, state="failed") == []
    tally = counts(eu.link)
    assert tally.outgoing["received"] == 1 and tally.open == 0 and tally.retries == 0
    assert [(n, result) for n, _, result, _ in attempts_of(eu.link, out.id)] == [(1, "sent"), (1, "accepted")]
