"""Where a message's work goes between two nodes: SQL statements and CPU per message, in one process.

``python -m benchmarks.profile_link [MESSAGES]`` (default 500): two real nodes (``iprisk node init``: keys,
migrated SQLite databases, audit trails) in this process, the sender's transport calling the receiver's
inbox directly (no HTTP, so that what is counted is the channel's own work). ``MESSAGES`` probes of 1 KiB
are queued in one unit of work, then delivered in passes of the link (claim, batches of
``IPRISK_DELIVERY_BATCH``, receipts recorded). Prints the SQL statements executed per message on each node
(counted by a SQLAlchemy ``before_cursor_execute`` listener: an ``executemany`` counts once) and the CPU
per message of the enqueue and of the delivery (both nodes). Not a benchmark (no baseline): the profile
behind the statement counts of docs/channel.md; ``bench_link`` measures the two nodes over HTTP.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

MESSAGES = 500


class _Direct:
    """The sender's transport: the receiver's inbox, called in this process."""

    def __init__(self, there: Any):
        self.there = there

    def __call__(self, recipient: str, wires: Sequence[str]) -> list[str | Exception]:
        return list(self.there.receive_many(list(wires)))

    def card(self, base_url: str) -> dict[str, Any]:
        from iprisk.link import card_of

        return dict(card_of(self.there))

    def query(self, recipient: str, sealed: str) -> str:
        raise NotImplementedError("no queries in this profile")


def _link(folder: Path, name: str) -> Any:
    from iprisk.link.service import open_link
    from iprisk.node.init import init_node
    from iprisk.settings import Settings

    here = folder / name
    here.mkdir()
    settings = Settings(
        node=name,
        key_folder=here / "keys",
        database=f"sqlite:///{here / 'ops.sqlite'}",
        warehouse=str(here / "warehouse.duckdb"),
    )
    init_node(settings)
    return open_link(settings)


def _counter(link: Any) -> list[int]:
    count = [0]

    @event.listens_for(link.node.engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        count[0] += 1

    return count


def run(messages: int = MESSAGES) -> dict[str, float]:
    from iprisk.link import add_peer
    from iprisk.link.probe import send_probes

    with tempfile.TemporaryDirectory() as tmp:
        eu, cn = _link(Path(tmp), "EU"), _link(Path(tmp), "CN")
        eu.transport, cn.transport = _Direct(cn), _Direct(eu)
        add_peer(eu, "http://cn.invalid", cn.identity.fingerprint)
        add_peer(cn, "http://eu.invalid", eu.identity.fingerprint)
        send_probes(eu, "CN", 20, 1024)  # warm-up: imports, statement caches
        while eu.deliver(1000).attempted:
            pass
        at_eu, at_cn = _counter(eu), _counter(cn)
        t0 = time.process_time()
        send_probes(eu, "CN", messages, 1024)
        t1 = time.process_time()
        queued = at_eu[0]
        while eu.deliver(1000).attempted:
            pass
        t2 = time.process_time()
        for link in (eu, cn):
            link.close()
            link.node.close()
    return {
        "SQL statements per message, sender (enqueue)": queued / messages,
        "SQL statements per message, sender (delivery)": (at_eu[0] - queued) / messages,
        "SQL statements per message, receiver": at_cn[0] / messages,
        "CPU ms per message, enqueue (seal, outbox row, audit)": (t1 - t0) / messages * 1000,
        "CPU ms per message, delivery (both nodes, no HTTP)": (t2 - t1) / messages * 1000,
    }


if __name__ == "__main__":
    for name, value in run(*[int(a) for a in sys.argv[1:]]).items():
        print(f"{name:58s} {value:8.2f}")
