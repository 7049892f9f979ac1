"""The channel's metrics: messages by state, retries, refusals, delivery latency, as Prometheus reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from iprisk.link import DeliveryWorker
from iprisk.link.metrics import COLLECTOR, expose
from iprisk.link.probe import send_probes
from tests.link.twonodes import Side


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _messages(direction: str, state: str, node: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"direction": direction, "node": node, "state": state}
    return ("iprisk_channel_messages", tuple(sorted(labels.items())))


def test_metrics_count_messages_by_state_retries_refusals_and_delivery_time(
    nodes: tuple[Side, Side],
) -> None:
    eu, cn = nodes
    registry = CollectorRegistry()
    expose(eu.link, registry)
    expose(cn.link, registry)
    try:
        before = _samples(registry)
        latency = ("iprisk_channel_delivery_seconds_count", ())
        send_probes(eu.link, "CN", 3)
        queued = _samples(registry)
        assert queued[_messages("out", "queued", "EU")] == 3
        eu.node.clock.advance(timedelta(seconds=2))
        done = DeliveryWorker(eu.link).run_once()
        assert done.received == 3
        after = _samples(registry)
        assert after[_messages("out", "received", "EU")] == 3
        assert after[_messages("out", "queued", "EU")] == 0
        assert after[_messages("in", "accepted", "CN")] == 3
        assert after[latency] - before.get(latency, 0.0) == 3  # observed by the worker's pass
        assert after[("iprisk_channel_retries_total", (("node", "EU"),))] == 0
        refused = ("iprisk_channel_refused_unauthenticated_total", (("node", "CN"),))
        assert after[refused] == 0
        with pytest.raises(ValueError):  # MalformedMessage: refused, recorded, counted
            cn.link.receive("not.a.sealed.message.at-all")
        assert _samples(registry)[refused] == 1
        text = generate_latest(registry).decode()
        assert "probe" not in text and "EU" in text  # labels are node, direction and state only
    finally:
        COLLECTOR.forget(eu.link)
        COLLECTOR.forget(cn.link)
