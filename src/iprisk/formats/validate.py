"""Vectorised validation and casting of a table of strings against a format's schema.

Every rule is one or a few Arrow compute kernels over a whole column giving a mask of offending rows; Python
only touches the offending rows, to build :class:`~iprisk.errors.Problem` objects, and stops building them
past ``max_reported_problems`` while still counting every one.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from iprisk.codes import COUNTRY_CODES, PORTS
from iprisk.errors import ERROR, WARNING, Problem
from iprisk.formats.mapping import ANY_OTHER, ColumnMapping
from iprisk.formats.readers import RawTable
from iprisk.formats.rules import WARNINGS
from iprisk.formats.schema import UNKNOWN_COUNTRY, Column, Schema
from iprisk.periods import FIRST_YEAR, LAST_YEAR
from iprisk.settings import get_settings

_TRUE = ("true", "1", "yes", "y", "t")
_FALSE = ("false", "0", "no", "n", "f")
_INTEGER = r"^[+-]?0*[0-9]{1,18}$"  # at most 18 significant digits: fits int64 whatever the sign
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_LOCODE = r"^[A-Z]{2}[A-Z2-9]{3}$"
_REQUIRED = "required value is empty"
_CURRENCIES = frozenset(str(c.alpha_3) for c in pycountry.currencies)


def _sorted_array(values: Iterable[str]) -> pa.Array:
    return pa.array(sorted(values), type=pa.string())


_COUNTRIES = _sorted_array(COUNTRY_CODES)
_COUNTRIES_OR_UNKNOWN = _sorted_array(COUNTRY_CODES | {UNKNOWN_COUNTRY})
_PORTS = _sorted_array(PORTS)
_CURRENCY_CODES = _sorted_array(_CURRENCIES)


def normalise_name(name: str) -> str:
    """Column names match case-insensitively after trimming."""
    return name.strip().casefold()


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """File-level problems first, then by row (stable within a row: the order the rules ran)."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


class Collector:
    """Collects problems (errors) and warnings, building details for at most ``cap`` of each."""

    def __init__(self, source: str, cap: int | None = None):
        self.source = source
        self.cap = get_settings().max_reported_problems if cap is None else cap
        self.problems: list[Problem] = []
        self.total = 0
        self.warnings: list[Problem] = []
        self.warnings_total = 0

    def _add(self, problem: Problem) -> None:
        if problem.severity == WARNING or problem.rule in WARNINGS:
            self.warnings_total += 1
            if len(self.warnings) < self.cap:
                self.warnings.append(dataclasses.replace(problem, severity=WARNING))
        else:
            self.total += 1
            if len(self.problems) < self.cap:
                self.problems.append(problem)

    def file(self, rule: str, message: str, *, column: str | None = None, value: str | None = None) -> None:
        """A problem with the whole file (row None)."""
        self._add(Problem(rule, message, None, column, value, self.source))

    def extend(self, problems: Iterable[Problem], total: int) -> None:
        problems = list(problems)
        for p in problems:
            self._add(p)
        # problems found but not detailed by the reader still count
        extra = total - len(problems)
        if extra > 0:
            self.total += extra

    def rows(
        self,
        rule: str,
        mask: pa.Array | pa.ChunkedArray,
        column: str,
        values: pa.Array | pa.ChunkedArray,
        message: str | Callable[[str, int], str],
    ) -> int:
        """Report every row where ``mask`` is true; ``message`` is a text or ``f(value, row_index)``."""
        indices = pc.indices_nonzero(pc.fill_null(mask, False))
        n = len(indices)
        if not n:
            return 0
        warning = rule in WARNINGS
        severity = WARNING if warning else ERROR
        room = self.cap - len(self.warnings if warning else self.problems)
        if room > 0:
            detailed = indices.slice(0, room)
            vals = pc.take(values, detailed).to_pylist()
            for i, v in zip(detailed.to_pylist(), vals, strict=True):
                text = message if isinstance(message, str) else message(v, i)
                (self.warnings if warning else self.problems).append(
                    Problem(rule, text, i + 1, column, v, self.source, severity)
                )
        if warning:
            self.warnings_total += n
        else:
            self.total += n
        return n


@dataclass
class Prepared:
    """A raw table brought to the schema's columns (still text, as written), with what was missing."""

    table: pa.Table
    missing: set[str] = field(default_factory=set)
    extras: list[str] = field(default_factory=list)


def _apply_values(col: pa.ChunkedArray, table: Mapping[str, str]) -> pa.ChunkedArray:
    keys = [k for k in table if k != ANY_OTHER]
    mapped = pc.take(
        pa.array([table[k] for k in keys], type=pa.string()),
        pc.index_in(col, value_set=pa.array(keys, type=pa.string())),
    )
    # "*" catches every value not listed, but an empty cell stays empty (and is reported if required)
    fallback = pc.if_else(pc.equal(col, ""), col, table[ANY_OTHER]) if ANY_OTHER in table else col
    return pc.coalesce(mapped, fallback)


def prepare(
    raw: RawTable,
    schema: Schema,
    mapping: ColumnMapping,
    collector: Collector,
    *,
    ignore_unknown: bool = False,
) -> Prepared:
    """Select, rename and value-map the file's columns into the schema's columns (plus mapping extras).

    A column the format does not know is a problem (``unknown_column``) in seizures unless
    ``ignore_unknown``, then (as in declarations, whose files carry national columns) a warning
    (``ignored_column``). A mapping constant for a column the file also holds must agree with every row.
    """
    collector.extend(raw.problems, raw.total)
    table = raw.table
    n = table.num_rows
    by_name: dict[str, int] = {}
    for i, name in enumerate(table.column_names):
        key = normalise_name(name)
        if key in by_name:
            collector.file("duplicate_column", f"column {name!r} appears more than once", column=name)
        else:
            by_name[key] = i
    used: set[int] = set()

    def take(their: str) -> pa.ChunkedArray | None:
        idx = by_name.get(normalise_name(their))
        if idx is None:
            return None
        used.add(idx)
        # trimmed later, by check_and_cast (cheaply, once per distinct value where it can)
        return table.column(idx)

    out: dict[str, pa.ChunkedArray | pa.Array] = {}
    missing: set[str] = set()
    for col in schema.columns:
        arr: pa.ChunkedArray | pa.Array | None = None
        if col.name in mapping.columns:
            arr = take(mapping.columns[col.name])
            where = f"column {mapping.columns[col.name]!r} (mapped to {col.name})"
        elif col.name in mapping.constants:
            arr = pa.repeat(mapping.constants[col.name], n).cast(pa.string())
            own = take(col.name)
            if own is not None:
                _check_constant(col.name, own, mapping, collector)
        else:
            arr = take(col.name)
            where = f"column {col.name!r}"
        if arr is None:
            if col.default is not None:
                arr = pa.repeat(col.default, n).cast(pa.string())
            else:
                if col.required:
                    collector.file("missing_column", f"required {where} is absent", column=col.name)
                    missing.add(col.name)
                arr = pa.repeat("", n).cast(pa.string())
        if col.name in mapping.values:
            arr = _apply_values(pc.utf8_trim_whitespace(arr), mapping.values[col.name])
        if col.default is not None:
            arr = pc.utf8_trim_whitespace(arr)
            arr = pc.if_else(pc.equal(arr, ""), col.default, arr)
        out[col.name] = arr
    extras = []
    for ours, theirs in mapping.extra.items():
        arr = take(theirs)
        if arr is None:
            collector.file("missing_column", f"column {theirs!r} (extra {ours}) is absent", column=ours)
            missing.add(ours)
            arr = pa.repeat("", n).cast(pa.string())
        out[ours] = arr
        extras.append(ours)
    known = list(schema) + [theirs for theirs in mapping.columns.values()]
    refuse = schema.name == "seizures" and not ignore_unknown
    for i, name in enumerate(table.column_names):
        if i not in used and by_name.get(normalise_name(name)) == i:
            close = difflib.get_close_matches(normalise_name(name), known, n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]}?)" if close else ""
            if refuse:
                collector.file(
                    "unknown_column",
                    f"column {name!r} is not a {schema.name} column{hint}; rename it, or ignore unknown "
                    "columns (--ignore-unknown-columns) to submit without it",
                    column=name,
                )
            else:
                collector.file(
                    "ignored_column",
                    f"column {name!r} is not a {schema.name} column{hint}; ignored",
                    column=name,
                )
    return Prepared(pa.table(out), missing, extras)


def _check_constant(name: str, own: pa.ChunkedArray, mapping: ColumnMapping, collector: Collector) -> None:
    """Rows whose own value of ``name`` contradicts the mapping's constant (empty cells take the constant)."""
    constant = mapping.constants[name]
    values = pc.utf8_trim_whitespace(own)
    if name in mapping.values:
        values = _apply_values(values, mapping.values[name])
    conflict = pc.and_(pc.not_equal(values, ""), pc.not_equal(values, constant))
    collector.rows(
        "constant_conflict",
        conflict,
        name,
        own,
        f"the file says otherwise than the mapping's constant {name}: {constant}; one of the two is wrong",
    )


def _codes_hint(col: Column) -> Callable[[str, int], str]:
    listing = f"not a {col.code_list} code; codes are {', '.join(col.codes)}"
    codes = frozenset(col.codes)

    def message(value: str, _row: int) -> str:
        hint = f" (did you mean {value.lower()}? codes are lower-case)" if value.lower() in codes else ""
        return listing + hint

    return message


def _country_message(value: str, _row: int) -> str:
    hint = " (codes are upper-case)" if value.upper() in COUNTRY_CODES else ""
    return f"not an ISO 3166-1 alpha-2 country code{hint}"


Message = str | Callable[[str, int], str]
#: (rule, mask of offending values, message) found by a check
Finding = tuple[str, Any, Message]

#: Kinds whose columns hold few distinct values: they are checked once per distinct value (dictionary
#: encoding), which makes regexes and date parsing cheap on a million rows.
_FEW_DISTINCT = frozenset({"code", "country", "locode", "hs", "currency", "date", "boolean"})


@dataclass(frozen=True)
class _Context:
    decimal_comma: bool
    countries: pa.Array
    port_warnings: bool


def _null(type_: pa.DataType) -> pa.Scalar:
    return pa.scalar(None, type_)


def _check_values(col: Column, values: Any, ctx: _Context) -> tuple[list[Finding], Any]:
    """Check values of one column (all rows, or its distinct values): findings and the cast values."""
    present = pc.not_equal(values, "")
    findings: list[Finding] = []
    as_text = pc.if_else(present, values, _null(pa.string()))
    kind = col.kind

    def bad(rule: str, ok: Any, message: Message) -> Any:
        mask = pc.and_(present, pc.invert(pc.fill_null(ok, False)))
        findings.append((rule, mask, message))
        return mask

    if kind in ("text", "id"):
        control = control_mask(values)
        if control is not None:
            findings.append(("control_character", control, _CONTROL_MESSAGE))
            as_text = pc.if_else(control, _null(pa.string()), as_text)
        if col.min_length is None and col.max_length is None:
            return findings, as_text
        length = pc.utf8_length(values)
        ok = pc.and_(
            pc.greater_equal(length, col.min_length or 0), pc.less_equal(length, col.max_length or 1 << 30)
        )
        mask = bad("length", ok, f"must be {col.min_length} to {col.max_length} characters")
        return findings, pc.if_else(mask, _null(pa.string()), as_text)
    if kind == "code":
        mask = bad("code", pc.is_in(values, value_set=pa.array(col.codes, pa.string())), _codes_hint(col))
    elif kind == "country":
        mask = bad("country", pc.is_in(values, value_set=ctx.countries), _country_message)
    elif kind == "locode":
        well_formed = pc.and_(
            pc.match_substring_regex(values, _LOCODE),
            pc.is_in(pc.utf8_slice_codeunits(values, 0, 2), value_set=_COUNTRIES),
        )
        mask = bad(
            "locode", well_formed, "not a UN/LOCODE (5 characters: an ISO country code, then 3 of A-Z or 2-9)"
        )
        if ctx.port_warnings:
            unknown = pc.and_(well_formed, pc.invert(pc.is_in(values, value_set=_PORTS)))
            findings.append(("unknown_port", unknown, "well-formed UN/LOCODE not in the port list"))
    elif kind == "hs":
        pattern = f"^[0-9]{{{col.min_length},{col.max_length}}}$"
        mask = bad(
            "hs_code",
            pc.match_substring_regex(values, pattern),
            f"must be {col.min_length} to {col.max_length} digits",
        )
    elif kind == "currency":
        mask = bad(
            "currency",
            pc.is_in(values, value_set=_CURRENCY_CODES),
            "not an ISO 4217 currency code",
        )
    elif kind == "date":
        shaped = pc.match_substring_regex(values, _DATE)
        parsed = pc.strptime(
            pc.if_else(shaped, values, _null(pa.string())), format="%Y-%m-%d", unit="s", error_is_null=True
        )
        dates = parsed.cast(pa.date32())
        # strptime rolls 2016-02-30 over to 2016-03-01: a valid date prints back as written
        valid = pc.fill_null(pc.equal(dates.cast(pa.string()), values), False)
        bad("date", valid, "not a valid ISO date (YYYY-MM-DD)")
        year = pc.year(dates)
        in_range = pc.and_(pc.greater_equal(year, FIRST_YEAR), pc.less_equal(year, LAST_YEAR))
        findings.append(
            (
                "date_range",
                pc.and_(valid, pc.invert(pc.fill_null(in_range, False))),
                f"the year must be {FIRST_YEAR} to {LAST_YEAR}",
            )
        )
        valid = pc.and_(valid, pc.fill_null(in_range, False))
        return findings, pc.if_else(valid, dates, _null(pa.date32()))
    elif kind == "boolean":
        lower = pc.utf8_lower(values)
        is_true = pc.is_in(lower, value_set=pa.array(_TRUE))
        is_false = pc.is_in(lower, value_set=pa.array(_FALSE))
        bad("boolean", pc.or_(is_true, is_false), "not a boolean (true/false, 1/0, yes/no, y/n)")
        return findings, pc.if_else(is_true, True, pc.if_else(is_false, False, _null(pa.bool_())))
    elif kind in ("integer", "decimal"):
        return findings, _check_number(values, present, col, findings, ctx)
    else:  # pragma: no cover - the schema only uses the kinds above
        raise AssertionError(f"unknown column kind {kind}")
    return findings, pc.if_else(mask, _null(pa.string()), as_text)


def _fast_numbers(text: Any, present: Any, integer: bool) -> Any:
    """All present values parsed by Arrow's own parser when every one is a plain number, else None.

    The common case (a valid column) costs one cast instead of a regex. Arrow also parses hexadecimal
    integers (``0x10``), so integers take this path only when every value is ASCII digits; decimals that Arrow
    parses and the shape check would refuse are ``inf`` and ``nan``, which ``is_finite`` refuses.
    """
    if integer and not pc.all(pc.or_(pc.ascii_is_decimal(text), pc.invert(present))).as_py():
        return None
    try:
        return pc.if_else(present, text, _null(pa.string())).cast(pa.int64() if integer else pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _check_number(values: Any, present: Any, col: Column, findings: list[Finding], ctx: _Context) -> Any:
    integer = col.kind == "integer"
    text = values
    if not integer and ctx.decimal_comma:  # a semicolon CSV from a European spreadsheet writes 12,5
        text = pc.replace_substring(values, ",", ".", max_replacements=1)
    target = pa.int64() if integer else pa.float64()
    numbers = _fast_numbers(text, present, integer)
    if numbers is not None:
        ok = pc.and_(present, pc.less(pc.abs(numbers), 10**18)) if integer else pc.is_finite(numbers)
    else:  # some value is not a plain number: find which, by the shape of the text
        shaped = pc.match_substring_regex(text, _INTEGER if integer else _DECIMAL)
        if integer:  # Arrow's integer parser refuses a leading "+"
            text = pc.replace_substring_regex(text, r"^\+", "")
        numbers = pc.if_else(shaped, text, _null(pa.string())).cast(target)
        ok = shaped if integer else pc.and_(shaped, pc.is_finite(numbers))
    ok = pc.fill_null(ok, False)
    findings.append(
        (
            col.kind,
            pc.and_(present, pc.invert(ok)),
            "not a whole number" if integer else "not a decimal number",
        )
    )
    numbers = pc.if_else(ok, numbers, _null(target))
    bounds = []
    out_of_range: Any = None
    if col.minimum is not None:
        out_of_range = pc.less(numbers, col.minimum)
        bounds.append(f">= {col.minimum:g}")
    if col.maximum is not None:
        above = pc.greater(numbers, col.maximum)
        out_of_range = above if out_of_range is None else pc.or_(out_of_range, above)
        bounds.append(f"<= {col.maximum:g}")
    if out_of_range is not None:
        findings.append(("range", out_of_range, f"must be {' and '.join(bounds)}"))
    return numbers


#: C0 control characters but tab, line feed and carriage return, and the non-characters U+FFFE, U+FFFF: what
#: XML (so XLSX) cannot hold, and what no one types in a customs record.
_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}]"
_CONTROL_MESSAGE = "holds a control character (NUL, ...) that no spreadsheet or XML file can hold"


def control_mask(values: Any) -> Any:
    """Rows of a string column holding a control character, or None when none does.

    A byte scan first (numpy over the column's data buffers: a byte below 0x20 or 0xEF, the lead byte of
    U+FFFE / U+FFFF); the regex runs only on a column where the scan finds one.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    suspect = False
    for chunk in chunks:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=chunk.offset + len(chunk) + 1)
        data = chunk.buffers()[2]
        if data is None:
            continue
        start, end = int(offsets[chunk.offset]), int(offsets[-1])
        body = np.frombuffer(data, dtype=np.uint8)[start:end]
        if (body < 0x20).any() or (body == 0xEF).any():
            suspect = True
            break
    if not suspect:
        return None
    mask = pc.match_substring_regex(values, _CONTROL)
    return mask if pc.any(mask).as_py() else None


def _empty_to_null(values: Any) -> Any:
    return pc.if_else(pc.equal(values, ""), _null(pa.string()), values)


def check_and_cast(
    prepared: Prepared,
    schema: Schema,
    collector: Collector,
    *,
    decimal_comma: bool = False,
    unknown_country: bool = False,
    port_warnings: bool = False,
) -> pa.Table:
    """Check every column of ``prepared`` by its kind; return the table cast to the canonical types.

    Offending values become null in the cast table, so that later checks (duplicates, quarter) see only
    valid values; the table is a valid submission only when ``collector.total == 0``.
    """
    table = prepared.table
    ctx = _Context(decimal_comma, _COUNTRIES_OR_UNKNOWN if unknown_country else _COUNTRIES, port_warnings)
    arrays: list[Any] = []
    for col in schema.columns:
        raw = table.column(col.name)
        name = col.name
        if name in prepared.missing:
            arrays.append(pa.nulls(len(raw), col.arrow_type))
            continue
        if col.kind in _FEW_DISTINCT:
            # Checked once per distinct value: the column is dictionary-encoded and masks expanded by index.
            encoded = pc.dictionary_encode(raw.combine_chunks())
            distinct = encoded.dictionary
            trimmed = pc.utf8_trim_whitespace(distinct)
            if col.required:
                empty = pc.equal(trimmed, "")
                if pc.any(empty).as_py():
                    collector.rows("required", pc.take(empty, encoded.indices), name, raw, _REQUIRED)
            findings, cast = _check_values(col, trimmed, ctx)
            clean = pc.all(pc.equal(trimmed, distinct)).as_py() in (True, None)
            for rule, mask, message in findings:
                if pc.any(mask).as_py():
                    clean = clean and rule in WARNINGS
                    collector.rows(rule, pc.take(mask, encoded.indices), name, raw, message)
            if clean and col.arrow_type == pa.string():
                # nothing to null out but empty cells: skip materialising a million strings again
                cast = raw if not pc.any(pc.equal(distinct, "")).as_py() else _empty_to_null(raw)
            else:
                cast = pc.take(cast, encoded.indices)
        else:
            values = pc.utf8_trim_whitespace(raw)
            if col.required:
                collector.rows("required", pc.equal(values, ""), name, raw, _REQUIRED)
            findings, cast = _check_values(col, values, ctx)
            for rule, mask, message in findings:
                collector.rows(rule, mask, name, raw, message)
        arrays.append(cast.cast(col.arrow_type))
    for name in prepared.extras:
        values = pc.utf8_trim_whitespace(table.column(name))
        control = control_mask(values)
        if control is not None:
            collector.rows("control_character", control, name, table.column(name), _CONTROL_MESSAGE)
        arrays.append(_empty_to_null(values))
    return pa.table(arrays, names=[c.name for c in schema.columns] + prepared.extras)
