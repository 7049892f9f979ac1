"""Read an exchange file of any supported format into an Arrow table of strings, one column per header.

Everything is read as text first so that validation sees the value as written (``"0012"``, ``"12,5"``,
``"2016-02-30"``) and reports it; casting to the canonical types comes after validation. Empty cells and
JSON / Parquet nulls become empty strings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iprisk.errors import InvalidInput, Problem, UnsupportedFormat

#: File extension -> reader kind.
EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

_MAX_REPORTED_BAD_ROWS = 1000


@dataclass
class RawTable:
    """A file read as text: ``table`` has the file's own column names, every column a non-null string."""

    table: pa.Table
    source: str
    #: problems found while reading (malformed CSV rows); validation adds its own
    problems: list[Problem] = field(default_factory=list)
    #: total problems found while reading (``>= len(problems)``)
    total: int = 0
    #: the file writes decimals with a comma (semicolon CSV), so ``12,5`` means 12.5
    decimal_comma: bool = False
    encoding: str = "utf-8"
    delimiter: str = ","


def file_kind(path: str | Path) -> str:
    """The reader kind for ``path`` from its extension; UnsupportedFormat for any other extension."""
    suffix = Path(path).suffix.lower()
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        supported = ", ".join(sorted(EXTENSIONS))
        raise UnsupportedFormat(
            str(path), f"unknown extension {suffix or '(none)'!r}; supported: {supported}"
        ) from None


def read_raw(path: str | Path, *, sheet: str | None = None) -> RawTable:
    """Read ``path`` (CSV, XLSX, JSON, JSON Lines, Parquet by extension) as a table of strings."""
    kind = file_kind(path)
    source = str(path)
    if sheet is not None and kind != "xlsx":
        raise UnsupportedFormat(source, "sheet= applies to XLSX files only")
    if not Path(path).is_file():
        raise FileNotFoundError(f"{source}: no such file")
    if kind == "csv":
        return _read_csv(Path(path))
    if kind == "xlsx":
        return RawTable(_read_xlsx(Path(path), sheet), source)
    if kind == "json":
        return RawTable(_read_json(Path(path)), source)
    if kind == "jsonl":
        return RawTable(_read_jsonl(Path(path)), source)
    return RawTable(_read_parquet(Path(path)), source)


def _unreadable(source: str, message: str) -> InvalidInput:
    return InvalidInput([Problem("unreadable", message, file=source)], source=source)


# --- CSV ------------------------------------------------------------------------------------------------


def _first_lines(path: Path) -> tuple[list[str], str]:
    """The first two lines, decoded, and the file's encoding (UTF-8 with or without BOM, else GB18030)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    lines = [line.rstrip(b"\r") for line in head.split(b"\n", 2)[:2]]
    try:
        for line in lines:
            line.decode("utf-8-sig")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    codec = "utf-8-sig" if encoding == "utf-8" else "gb18030"
    return [line.decode(codec, errors="replace") for line in lines], encoding


_DELIMITERS = (",", ";", "\t")


def _sniff_delimiter(header: str) -> str:
    """The delimiter the header holds most of, outside quotes: comma, semicolon or tab (comma on ties)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(_DELIMITERS, key=lambda d: (counts[d], d == ","))


def _read_csv(path: Path) -> RawTable:
    source = str(path)
    lines, encoding = _first_lines(path)
    header = lines[0]
    skip = 0
    if len(header) == 5 and header.lower().startswith("sep="):
        # Excel's "sep=;" first line names the delimiter; the header follows it
        skip, delimiter = 1, header[4]
        header = lines[1] if len(lines) > 1 else ""
    else:
        delimiter = _sniff_delimiter(header)
    if not header.strip():
        raise _unreadable(source, "no header line (the first line is empty)")
    names = next(csv.reader([header], delimiter=delimiter))
    bad_rows: list[Problem] = []
    bad_count = 0

    def on_invalid(row: Any) -> str:
        nonlocal bad_count
        bad_count += 1
        if len(bad_rows) < _MAX_REPORTED_BAD_ROWS:
            bad_rows.append(
                Problem(
                    "malformed_row",
                    f"{row.actual_columns} fields where the header has {row.expected_columns}",
                    # number is the 1-based CSV record (the header is record 1), so data row = number - 1
                    row=row.number - 1 - skip if row.number is not None else None,
                    value=row.text[:200],
                    file=source,
                )
            )
        return "skip"

    # newlines_in_values: spreadsheet exports put line breaks inside quoted cells (remarks)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    table = None
    for enc in (encoding, "gb18030") if encoding == "utf-8" else (encoding,):
        bad_rows.clear()
        bad_count = 0
        read = pacsv.ReadOptions(encoding=enc, block_size=1 << 24, skip_rows=skip)
        try:
            table = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
            encoding = enc
            break
        except pa.ArrowInvalid as exc:
            # The header was UTF-8 but a later line is not: the whole file is GB18030 (a superset of GBK).
            if "UTF8" in str(exc) and enc == "utf-8":
                continue
            raise _unreadable(source, f"cannot parse as CSV ({enc}, {delimiter!r}): {exc}") from None
        except UnicodeDecodeError as exc:
            raise _unreadable(
                source,
                f"neither UTF-8 nor GB18030 (byte {exc.object[exc.start : exc.end]!r} at offset {exc.start} "
                "of a block); save the file as UTF-8",
            ) from None
    assert table is not None
    if bad_count:
        # Multi-threaded parsing does not know the line of a bad row; read again on one thread to locate them
        # (only on this error path, so valid files keep the fast reader).
        bad_rows.clear()
        bad_count = 0
        read = pacsv.ReadOptions(encoding=encoding, use_threads=False, skip_rows=skip)
        pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    # Duplicate header names: pyarrow keeps both; make sure every column is a string whatever happened.
    table = _all_strings(table)
    return RawTable(
        table,
        source,
        problems=list(bad_rows),
        total=bad_count,
        decimal_comma=delimiter == ";",
        encoding=encoding,
        delimiter=delimiter,
    )


# --- XLSX ------------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """One spreadsheet / JSON cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _columns_table(names: Sequence[Any], rows: Iterable[Sequence[Any]], source: str) -> pa.Table:
    header = [_cell_text(n) for n in names]
    while header and header[-1] == "":  # trailing empty header cells (formatting leftovers)
        header.pop()
    if not header:
        raise _unreadable(source, "no header row")
    width = len(header)
    cols: list[list[str]] = [[] for _ in range(width)]
    for row in rows:
        cells = list(row)[:width]
        if not any(c is not None and c != "" for c in cells):
            continue  # blank row
        cells += [None] * (width - len(cells))
        for col, cell in zip(cols, cells, strict=True):
            col.append(_cell_text(cell))
    arrays = [pa.array(c, type=pa.string()) for c in cols]
    return pa.Table.from_arrays(arrays, names=header)


def _read_xlsx(path: Path, sheet: str | None) -> pa.Table:
    import openpyxl

    source = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile / KeyError / InvalidFileException
        raise _unreadable(source, f"not a readable XLSX workbook: {exc}") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise _unreadable(source, f"no sheet named {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise _unreadable(source, f"sheet {ws.title!r} is empty (no header row)")
        return _columns_table(header, rows, source)
    finally:
        wb.close()


# --- JSON ------------------------------------------------------------------------------------------------


def _records_table(records: list[Any], source: str) -> pa.Table:
    names: dict[str, None] = {}
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise _unreadable(source, f"record {i} is not an object: {str(rec)[:80]!r}")
        for key in rec:
            names.setdefault(key, None)
    if not names:
        raise _unreadable(source, "no records (an array of objects is expected)")
    cols = {n: [_cell_text(rec.get(n)) for rec in records] for n in names}
    return pa.Table.from_pydict({n: pa.array(v, type=pa.string()) for n, v in cols.items()})


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            str(path), f"neither UTF-8 nor GB18030 (offset {exc.start}); save the file as UTF-8"
        ) from None


def _read_json(path: Path) -> pa.Table:
    source = str(path)
    try:
        records = json.loads(_decode(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _unreadable(source, f"not valid JSON: {exc}") from None
    if not isinstance(records, list):
        raise _unreadable(source, "a JSON array of objects is expected")
    return _records_table(records, source)


def _read_jsonl(path: Path) -> pa.Table:
    source = str(path)
    records = []
    for n, line in enumerate(io.StringIO(_decode(path)), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise _unreadable(source, f"line {n} is not valid JSON: {exc}") from None
    return _records_table(records, source)


# --- Parquet ---------------------------------------------------------------------------------------------


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(str(path), f"not a readable Parquet file: {exc}") from None
    return _all_strings(table)


def _as_string(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_string(t):
        out = col
    elif pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_dictionary(t):
        out = col.cast(pa.string())
    elif pa.types.is_timestamp(t):
        # Midnight timestamps are dates written by tools that have no date type; others keep their time.
        as_date = col.cast(pa.date32(), safe=False)
        midnight = pc.all(
            pc.equal(
                col.cast(pa.timestamp("s", tz=t.tz), safe=False), as_date.cast(pa.timestamp("s", tz=t.tz))
            )
        ).as_py()
        out = (as_date if midnight in (True, None) else col).cast(pa.string())
    elif pa.types.is_boolean(t):
        out = pc.if_else(col, "true", "false")
    else:
        out = col.cast(pa.string())
    return pc.fill_null(out, "")


def _all_strings(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays([_as_string(c) for c in table.columns], names=table.column_names)
