"""When each simulated administration sends its quarterly statistics: a calendar of receipts.

A simulated world writes years of quarterly seizure files at once; a real warehouse receives each some weeks
after its quarter ends, some administrations reliably, others often late. :func:`receipt_calendar` draws that
day for every file, so that a replay (``Warehouse.submit(path, received_at=...)``, as the demo does) logs
realistic receipt times and the state of play's "statistics on time" shows a mix of on time and late instead
of every quarter received on the day the demo ran.

Each administration has its own typical delay (lognormal around :data:`MEDIAN_DELAY_DAYS`, spread
:data:`ADMIN_SPREAD`); each quarter's delay varies around it (spread :data:`QUARTER_SPREAD`). With the
default 45-day deadline, about one submission in seven arrives late. The draw depends only on the seed, the
administration and the quarter, so the calendar of a file does not change when other files are added.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import numpy as np

from iprisk.errors import InvalidValue
from iprisk.periods import Quarter

#: The median delay between a quarter's end and the receipt of its statistics, over administrations.
MEDIAN_DELAY_DAYS = 30.0
#: Spread (sigma of the log) of the administrations' typical delays.
ADMIN_SPREAD = 0.25
#: Spread (sigma of the log) of one administration's delays from quarter to quarter.
QUARTER_SPREAD = 0.3
#: Delays are kept within these bounds (days after the quarter's end).
DELAY_BOUNDS = (3, 180)


@dataclass(frozen=True)
class Receipt:
    """One seizure file and when its administration sent it."""

    path: Path
    admin: str
    quarter: str
    received_at: datetime


def receipt_calendar(files: Iterable[Path], *, seed: int) -> list[Receipt]:
    """The receipt of every seizure file named ``<ADMIN>_<QUARTER>.csv`` (as :func:`iprisk.simulate.simulate`
    writes them), earliest first."""
    receipts = [_receipt(Path(f), seed) for f in files]
    return sorted(receipts, key=lambda r: (r.received_at, r.admin, r.quarter))


def _receipt(path: Path, seed: int) -> Receipt:
    admin, sep, quarter_text = path.stem.rpartition("_")
    if not sep or not admin:
        raise InvalidValue(f"{path}: not a simulated seizure file named <ADMIN>_<QUARTER>")
    quarter = Quarter.parse(quarter_text)
    admin_key = zlib.crc32(admin.encode())
    typical = np.random.default_rng([seed, admin_key]).lognormal(np.log(MEDIAN_DELAY_DAYS), ADMIN_SPREAD)
    draw = np.random.default_rng([seed, admin_key, quarter.index()])
    days = float(np.clip(draw.lognormal(np.log(typical), QUARTER_SPREAD), *DELAY_BOUNDS))
    # sent during office hours, on the day the delay falls on
    at = datetime.combine(quarter.end, time(9), tzinfo=UTC) + timedelta(
        days=int(days), minutes=int(draw.integers(0, 8 * 60))
    )
    return Receipt(path, admin, str(quarter), at)
