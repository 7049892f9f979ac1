"""Probes: messages that only travel, for an operator to check the channel end to end (``iprisk exchange
probe``) and for the tests and benchmark to load it. A probe is sealed, delivered, opened, recorded in the
inbox and receipted like any message; applying it changes nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iprisk.exchange import Opened
from iprisk.link.kinds import Kind, register

if TYPE_CHECKING:
    from iprisk.link.context import Link

PROBE_KIND = "probe"


def send_probes(link: Link, peer: str, count: int = 1, size: int = 64) -> list[str]:
    """Queue ``count`` probes of ``size`` bytes to ``peer`` (one unit of work); their message ids."""
    ids = []
    with link.store.transaction() as tx:
        for number in range(count):
            payload = f"probe {number} ".encode().ljust(size, b".")
            ids.append(link.send(tx, PROBE_KIND, peer, payload).id)
    return ids


def _nothing_to_apply(_link: Link, _tx: Any, _opened: Opened) -> None:
    """The inbox records and receipts the probe; there is nothing else to do."""


register(
    Kind(
        PROBE_KIND,
        "A probe: travels, is receipted, changes nothing (a check of the channel end to end).",
        _nothing_to_apply,
        content_type="application/octet-stream",
    )
)
