"""Calendar quarters, written ``YYYYQn`` in every exchange."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from iprisk.errors import InvalidValue

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")

#: Years iprisk works in: a date outside them is a typo (9999-12-31, 0001-01-01), and quarter arithmetic
#: (the next quarter, a year back) stays inside what Python's dates can represent.
FIRST_YEAR = 1900
LAST_YEAR = 2199


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``'2016Q3'`` (also ``2016-Q3``, ``2016q3``) to a Quarter.

        Raises InvalidValue (a ValueError) naming the bad text."""
        m = _QUARTER.match(str(text))
        if not m:
            raise InvalidValue(f"not a quarter (expected YYYYQn, e.g. 2016Q3): {text!r}")
        year = int(m.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidValue(f"quarter {text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter (inclusive)."""
        return (self + 1).start - timedelta(days=1)

    def __add__(self, n: int) -> Quarter:
        idx = self.year * 4 + (self.q - 1) + n
        return Quarter(idx // 4, idx % 4 + 1)

    def __sub__(self, other: int) -> Quarter:
        return self + (-other)

    def index(self) -> int:
        """Quarters since year 0, so that differences count quarters."""
        return self.year * 4 + self.q - 1

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.q}"


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    return [first + i for i in range(last.index() - first.index() + 1)]
