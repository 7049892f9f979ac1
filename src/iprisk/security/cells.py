"""Spreadsheet formula injection: text cells that a spreadsheet would run as formulas are written inert.

OWASP's CSV-injection guidance: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is a formula to Excel and LibreOffice (``=HYPERLINK("http://...")``). In CSV such a cell is written with a
leading apostrophe, which spreadsheets show as text; in XLSX it is written as a text cell (never a formula),
so no escape is needed there.

Round trips stay exact: the CSV escape is reversible. A text that starts with apostrophes followed by a
trigger character gets one more apostrophe on writing, and the readers remove one from such a text, so
``'=x`` (written ``''=x``) reads back as ``'=x`` and every other text is untouched.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

#: Characters that make a spreadsheet read a cell as a formula (OWASP).
TRIGGERS = "=+-@\t\r"
_TRIGGER_CLASS = "[=+\\-@\\t\\r]"
_NEEDS_ESCAPE = re.compile(f"^'*{_TRIGGER_CLASS}")
_ESCAPED = re.compile(f"^'+{_TRIGGER_CLASS}")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text (see the module docstring).

    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-5 pcs"), neutralise("'=x"), neutralise("a=b")
    ('\\'=HYPERLINK("http://x")', "'-5 pcs", "''=x", 'a=b')
    """
    return "'" + text if _NEEDS_ESCAPE.match(text) else text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given (one apostrophe less before a trigger character)."""
    return text[1:] if _ESCAPED.match(text) else text


def neutralise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`neutralise` over a string column, vectorised (a column with nothing to escape comes back)."""
    needs = pc.match_substring_regex(values, _NEEDS_ESCAPE.pattern)
    if not pc.any(needs).as_py():
        return values
    return pc.if_else(needs, pc.binary_join_element_wise("'", values, ""), values)


def restore_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`restore` over a string column; only a column holding a leading apostrophe is rewritten."""
    if not pc.any(pc.starts_with(values, "'")).as_py():
        return values
    return pc.replace_substring_regex(values, f"^'('*{_TRIGGER_CLASS})", r"\1")


def neutralise_table(table: pa.Table) -> pa.Table:
    """Every string column of ``table`` through :func:`neutralise_array` (numbers and dates are not text)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(i)
            escaped = neutralise_array(column)
            if escaped is not column:
                table = table.set_column(i, field, escaped)
    return table


def neutralise_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame with every text cell through :func:`neutralise` (for ``to_csv``)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out
