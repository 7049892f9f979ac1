"""The calendar of receipts: each simulated file sent weeks after its quarter, mostly on time, some late."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.errors import InvalidValue
from iprisk.periods import Quarter
from iprisk.simulate import receipt_calendar
from iprisk.simulate.receipts import DELAY_BOUNDS

ADMINS = ("AT", "BE", "CN", "DE", "ES", "FR", "IT", "NL", "PL", "SE")
FILES = [Path(f"world/{a}_{y}Q{q}.csv") for a in ADMINS for y in (2014, 2015, 2016) for q in (1, 2, 3, 4)]


def _delays(seed: int = 7) -> dict[tuple[str, str], int]:
    return {
        (r.admin, r.quarter): (r.received_at.date() - Quarter.parse(r.quarter).end).days
        for r in receipt_calendar(FILES, seed=seed)
    }


def test_every_file_arrives_after_its_quarter_earliest_first() -> None:
    calendar = receipt_calendar(FILES, seed=7)
    assert sorted(r.path for r in calendar) == sorted(FILES)
    times = [r.received_at for r in calendar]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert all(DELAY_BOUNDS[0] <= d <= DELAY_BOUNDS[1] for d in _delays().values())


def test_most_arrive_by_the_deadline_and_some_late() -> None:
    late = [k for k, d in _delays().items() if d > 45]
    assert 0.04 * len(FILES) <= len(late) <= 0.3 * len(FILES), late
    # administrations differ: the latest one's median delay is well above the earliest one's
    medians = sorted(
        sorted(d for (a, _), d in _delays().items() if a == admin)[len(FILES) // len(ADMINS) // 2]
        for admin in ADMINS
    )
    assert medians[-1] >= medians[0] + 10


def test_a_file_keeps_its_day_whatever_else_is_drawn_and_the_seed_changes_it() -> None:
    alone = receipt_calendar([FILES[5]], seed=7)[0]
    assert alone in receipt_calendar(FILES, seed=7)
    assert receipt_calendar([FILES[5]], seed=8)[0].received_at != alone.received_at


def test_a_file_not_named_by_admin_and_quarter_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"trade\.csv: not a simulated seizure file"):
        receipt_calendar([Path("trade.csv")], seed=7)
