"""Exactly-once in effect, over a network that drops, duplicates, reorders and delays, with crashes.

``make test`` runs a few hundred schedules; ``make bench`` (benchmarks/bench_channel.py) runs >= 10,000 of the
same machine and reports the count.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.exchange.delivery_machine import DeliveryMachine

SCHEDULES = 300

TestDelivery = DeliveryMachine.TestCase
TestDelivery.settings = settings(
    max_examples=SCHEDULES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
