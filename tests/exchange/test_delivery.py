"""Exactly-once in effect, over a network that drops, duplicates, reorders and delays, with crashes.

The same state machine runs on every channel store. ``make test`` runs 30 to 100 schedules on each (200 on
SQLite took over 6 minutes of a loaded 2-core machine, a third of the test budget);
``make bench`` (benchmarks/bench_channel.py) runs >= 10,000 on the in-memory store and SQLite, and reports the
counts.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.exchange.backends import Backend
from tests.exchange.delivery_machine import machine_on

#: schedules per store: the SQL stores commit to a real database at every step, so they run fewer
SCHEDULES = {"memory": 100, "sqlite": 50, "postgresql": 30}


def test_every_message_is_applied_exactly_once_and_none_is_lost(backend: Backend) -> None:
    machine = machine_on(backend)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=SCHEDULES[backend.name],
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert machine.runs >= SCHEDULES[backend.name]
