"""The channel's metrics, served on the node's ``/metrics`` with the request metrics (Prometheus text format).

* ``iprisk_channel_messages{node, direction, state}`` — messages by state, read from the database at each
  scrape: outgoing ``queued``, ``sent``, ``received``, ``failed``, ``expired``; incoming ``accepted``,
  ``refused`` (authenticated, refused by their effect or expired);
* ``iprisk_channel_retries_total{node}`` — delivery attempts beyond each message's first;
* ``iprisk_channel_refused_unauthenticated_total{node}`` — what arrived and could not be authenticated
  (malformed, not for us, not decryptable, unknown, revoked or retired key, bad signature);
* ``iprisk_channel_delivery_seconds`` — from a message's creation to its receipt checked at the sender
  (histogram), observed by the delivery worker of this process.

Read at scrape time, the counts hold for every process on the database (several uvicorn workers agree); the
histogram is this process's. No message id, payload or name is a label: only node, direction and state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from iprisk.link.status import counts

if TYPE_CHECKING:
    from iprisk.link.context import Link

_log = logging.getLogger("iprisk.channel")

DELIVERY_SECONDS = Histogram(
    "iprisk_channel_delivery_seconds",
    "Time from a message's creation to its receipt checked at the sender.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400),
    registry=None,
)


class ChannelCollector(Collector):
    """Collects the message counts of every link of this process it watches (one per node in tests)."""

    def __init__(self) -> None:
        self._links: list[Link] = []
        self._lock = threading.Lock()

    def watch(self, link: Link) -> None:
        with self._lock:
            if link not in self._links:
                self._links.append(link)

    def forget(self, link: Link) -> None:
        with self._lock:
            if link in self._links:
                self._links.remove(link)

    def collect(self) -> Iterable[Metric]:
        messages = GaugeMetricFamily(
            "iprisk_channel_messages",
            "Channel messages by direction and state.",
            labels=["node", "direction", "state"],
        )
        retries = CounterMetricFamily(
            "iprisk_channel_retries", "Delivery attempts beyond each message's first.", labels=["node"]
        )
        refused = CounterMetricFamily(
            "iprisk_channel_refused_unauthenticated",
            "Messages refused before they could be authenticated.",
            labels=["node"],
        )
        with self._lock:
            links = list(self._links)
        for link in links:
            try:
                now = counts(link)
            except SQLAlchemyError as exc:  # the database is away for a moment: the scrape goes on
                _log.warning("channel metrics unavailable: %s", type(exc).__name__)
                continue
            for state, number in now.outgoing.items():
                messages.add_metric([link.name, "out", state], number)
            for state, number in now.incoming.items():
                messages.add_metric([link.name, "in", state], number)
            retries.add_metric([link.name], now.retries)
            refused.add_metric([link.name], now.refused_unauthenticated)
        return [messages, retries, refused]


COLLECTOR = ChannelCollector()
_registered: list[CollectorRegistry] = []


def expose(link: Link, registry: CollectorRegistry) -> None:
    """Serve ``link``'s channel metrics in ``registry`` (registered once per registry)."""
    if not any(r is registry for r in _registered):
        registry.register(DELIVERY_SECONDS)
        registry.register(COLLECTOR)
        _registered.append(registry)
    COLLECTOR.watch(link)


def observe_deliveries(seconds: Sequence[float]) -> None:
    """Record how long the messages receipted in a delivery pass took, creation to receipt."""
    for value in seconds:
        DELIVERY_SECONDS.observe(max(0.0, value))
