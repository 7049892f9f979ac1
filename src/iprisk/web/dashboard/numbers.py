"""Numbers of a table written fast: a page of a thousand rows has thousands of numbers, and Babel parses its
pattern for each (a third of a millisecond: a second per page). The same rule as
:func:`iprisk.i18n.format_number` (grouped by thousands, half-even from the exact binary value), with the
locale's symbols read from Babel once; a test checks both agree."""

from __future__ import annotations

import math
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

from iprisk.i18n import babel_locale, format_number


@lru_cache(maxsize=8)
def _symbols(locale: str) -> dict[int, str]:
    """``str.translate`` table from Python's symbols (``,``, ``.``, ``-``) to the locale's."""
    where = babel_locale(locale)
    return str.maketrans(
        {",": get_group_symbol(locale=where), ".": get_decimal_symbol(locale=where),
         "-": get_minus_sign_symbol(locale=where)}
    )  # fmt: skip


def table_number(value: float, locale: str, decimals: int = 0) -> str:
    """``value`` grouped, with ``decimals`` decimals, in ``locale``'s symbols."""
    if not math.isfinite(value):
        return format_number(value, locale, decimals=decimals)
    return f"{value:,.{decimals}f}".translate(_symbols(locale))
