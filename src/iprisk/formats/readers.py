"""Read an exchange file of any supported format into an Arrow table of strings, one column per header.

Everything is read as text first so that validation sees the value as written (``"0012"``, ``"12,5"``,
``"2016-02-30"``) and reports it; casting to the canonical types comes after validation. Empty cells and
JSON / Parquet nulls become empty strings.

Any file, however malformed, either reads or raises an :class:`~iprisk.errors.InvalidInput` naming it
(rule ``unreadable``, ``encoding`` or ``limit``): the limits of :mod:`iprisk.security.limits` (size, rows,
columns, cell and line length, decompressed size) are checked while reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import mmap
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iprisk.errors import WARNING, InvalidInput, IpriskError, MissingFile, Problem, UnsupportedFormat
from iprisk.formats.encoding import codec_name, detect, undecodable_rows
from iprisk.security import restore_array
from iprisk.security.limits import (
    check_cells,
    check_columns,
    check_rows,
    check_size,
    check_workbook,
    line_exceeded,
    line_limit,
)

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


def read_raw(path: str | Path, *, sheet: str | None = None, encoding: str | None = None) -> RawTable:
    """Read ``path`` (CSV, XLSX, JSON, JSON Lines, Parquet by extension) as a table of strings.

    ``encoding`` (CSV, JSON) names the text encoding; without it UTF-8 is tried, then the encoding is
    detected (see :mod:`iprisk.formats.encoding`), and a file that cannot be decoded with confidence is
    refused with the rows concerned.
    """
    kind = file_kind(path)
    source = str(path)
    if sheet is not None and kind != "xlsx":
        raise UnsupportedFormat(source, "sheet= applies to XLSX files only")
    if encoding is not None and kind in ("xlsx", "parquet"):
        raise UnsupportedFormat(
            source, "encoding= applies to CSV and JSON files (XLSX and Parquet are UTF-8)"
        )
    file = Path(path)
    if not file.is_file():
        raise MissingFile(source)
    codec = None if encoding is None else codec_name(encoding)
    check_size(file, source)
    try:
        raw = _read(kind, file, sheet, codec)
    except IpriskError:
        raise
    except Exception as exc:  # a reader library's own error on a malformed file: name the file, no traceback
        raise _unreadable(source, f"cannot read as {kind.upper()}: {type(exc).__name__}: {exc}") from None
    check_columns(raw.table.num_columns, source)
    check_rows(raw.table.num_rows, source)
    check_cells(raw.table, source)
    return raw


def _read(kind: str, file: Path, sheet: str | None, codec: str | None) -> RawTable:
    source = str(file)
    if kind == "csv":
        return _read_csv(file, codec)
    if kind == "xlsx":
        return RawTable(_read_xlsx(file, sheet), source)
    if kind in ("json", "jsonl"):
        text, used, detected = _decode(file, codec)
        table = _read_json(text, source) if kind == "json" else _read_jsonl(text, source)
        return RawTable(table, source, problems=detected, total=0, encoding=used)
    return RawTable(_read_parquet(file), source)


def _unreadable(source: str, message: str) -> InvalidInput:
    return InvalidInput([Problem("unreadable", message, file=source)], source=source)


# --- CSV ------------------------------------------------------------------------------------------------


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _head(path: Path) -> bytes:
    """The start of the file, long enough to hold its first two lines (up to ``max_line_bytes`` each)."""
    size = 1 << 16
    with path.open("rb") as fh:
        head = fh.read(size)
        while len(_LINE_END.split(head, 2)) < 3 and len(head) == size:
            if size > 2 * line_limit():
                raise line_exceeded(str(path))
            size *= 4
            fh.seek(0)
            head = fh.read(size)
    return head


def _first_lines(head: bytes, codec: str | None) -> tuple[list[str], str | None]:
    """The first two lines decoded, and the encoding: the one given, UTF-8 when they are, else None."""
    lines = _LINE_END.split(head, 2)[:2]
    if codec is None:
        try:
            for line in lines:
                line.decode("utf-8-sig")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = None
    use = "utf-8-sig" if codec in (None, "utf-8") else codec
    return [line.decode(use, errors="replace") for line in lines], codec


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


def _read_csv(path: Path, codec: str | None) -> RawTable:
    source = str(path)
    lines, encoding = _first_lines(_head(path), codec)
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
    check_columns(len(names), source)
    bad_rows: list[Problem] = []
    bad_count = 0

    def on_invalid(row: Any) -> str:
        nonlocal bad_count
        bad_count += 1
        if len(bad_rows) < _MAX_REPORTED_BAD_ROWS:
            try:
                text = row.text[:200]
            except UnicodeDecodeError:  # pyarrow decodes the row as UTF-8: a later pass reads it right
                text = None
            bad_rows.append(
                Problem(
                    "malformed_row",
                    f"{row.actual_columns} fields where the header has {row.expected_columns}",
                    # number is the 1-based CSV record (the header is record 1), so data row = number - 1
                    row=row.number - 1 - skip if row.number is not None else None,
                    value=text,
                    file=source,
                )
            )
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )

    def parse_with(enc: str, *, locate: bool = False) -> pa.Table:
        """Parse as ``enc``; ``locate``: skip malformed rows, reporting each (one thread: their lines)."""
        nonlocal bad_count
        bad_rows.clear()
        bad_count = 0
        # newlines_in_values: spreadsheet exports put line breaks inside quoted cells (remarks)
        parse = pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid if locate else None
        )
        # The block size is the longest record pyarrow can parse: it enforces max_line_bytes.
        read = pacsv.ReadOptions(
            encoding=enc, block_size=line_limit(), skip_rows=skip, use_threads=not locate
        )
        return pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)

    def parse_or_locate(enc: str) -> pa.Table | None:
        """The table; None when the text is not ``enc`` (UTF-8 expected, not given); malformed rows located.

        The fast path parses without a row handler: pyarrow decodes a malformed row as UTF-8 before calling
        the handler, so the handler runs only once the file is known to be valid text.
        """
        try:
            return parse_with(enc)
        except UnicodeDecodeError:
            raise undecodable_rows(path.read_bytes(), enc, source) from None
        except pa.ArrowInvalid as exc:
            utf8 = enc == "utf-8"
            not_text = "UTF8" in str(exc) or ("Expected" in str(exc) and utf8 and not _is_utf8(path))
            if not_text and codec is None and utf8:
                return None  # the first lines were UTF-8 but a later one is not: detect from the whole file
            if not_text:
                raise undecodable_rows(path.read_bytes(), enc, source) from None
            if "Expected" not in str(exc):
                raise _csv_error(source, enc, delimiter, exc) from None
        try:
            return parse_with(enc, locate=True)
        except pa.ArrowInvalid as exc:
            raise _csv_error(source, enc, delimiter, exc) from None

    detected: list[Problem] = []
    table = None if encoding is None else parse_or_locate(encoding)
    if table is None:
        encoding = detect(path.read_bytes(), source)
        detected.append(_detected(encoding, source))
        table = parse_or_locate(encoding)
    assert table is not None and encoding is not None
    # Duplicate header names: pyarrow keeps both; make sure every column is a string whatever happened.
    table = _all_strings(table)
    if _contains(path, b"'"):  # a quick byte search first: most files hold no apostrophe at all
        table = _restore_escapes(table)
    return RawTable(
        table,
        source,
        problems=detected + list(bad_rows),
        total=bad_count,
        decimal_comma=delimiter == ";",
        encoding=encoding,
        delimiter=delimiter,
    )


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is valid UTF-8 (Arrow's validation over a memory map: no copy)."""
    with pa.memory_map(str(path)) as mapped:
        data = mapped.read_buffer()
        offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64))
        try:
            pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data]).validate(full=True)
        except pa.ArrowInvalid:
            return False
    return True


def _csv_error(source: str, encoding: str, delimiter: str, exc: pa.ArrowInvalid) -> InvalidInput:
    if "straddling" in str(exc):
        return line_exceeded(source)
    return _unreadable(source, f"cannot parse as CSV ({encoding}, {delimiter!r}): {exc}")


def _detected(encoding: str, source: str) -> Problem:
    return Problem(
        "detected_encoding",
        f"not UTF-8: read as {encoding} (detected); give the encoding to choose another",
        file=source,
        severity=WARNING,
    )


def _contains(path: Path, needle: bytes) -> bool:
    """Whether the file holds ``needle`` (a memory-mapped search, gigabytes a second)."""
    with path.open("rb") as fh:
        if path.stat().st_size == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return mapped.find(needle) >= 0


def _restore_escapes(table: pa.Table) -> pa.Table:
    """Undo the spreadsheet-formula escape iprisk's CSV writer adds (see :mod:`iprisk.security.cells`)."""
    columns = [restore_array(c) for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


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
    check_columns(len(header), source)
    width = len(header)
    cols: list[list[str]] = [[] for _ in range(width)]
    for n, row in enumerate(rows, start=1):
        if n % 65536 == 0:  # blank rows count too: a sheet of a million empty rows is refused early
            check_rows(n, source)
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
    check_workbook(path, source)  # from the zip directory, before anything is inflated
    try:
        # openpyxl parses the XML with defusedxml (a dependency): no entity expansion
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
        # The sheet's declared dimension is not trusted: a forged "A1:XFD1048576" would pad every row.
        ws.reset_dimensions()
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
        if len(names) > 1024:
            check_columns(len(names), source)
    if not names:
        raise _unreadable(source, "no records (an array of objects is expected)")
    cols = {n: [_cell_text(rec.get(n)) for rec in records] for n in names}
    return pa.Table.from_pydict({n: pa.array(v, type=pa.string()) for n, v in cols.items()})


def _decode(path: Path, codec: str | None) -> tuple[str, str, list[Problem]]:
    """The file's text, its encoding, and the warning when the encoding was detected."""
    data = path.read_bytes()
    source = str(path)
    if codec is not None:
        try:
            return data.decode(codec), codec, []
        except UnicodeDecodeError:
            raise undecodable_rows(data, codec, source) from None
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError:
        pass
    codec = detect(data, source)
    try:
        return data.decode(codec), codec, [_detected(codec, source)]
    except UnicodeDecodeError:
        raise undecodable_rows(data, codec, source) from None


def _read_json(text: str, source: str) -> pa.Table:
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(source, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise _unreadable(source, "not valid JSON: nested too deeply") from None
    if not isinstance(records, list):
        raise _unreadable(source, "a JSON array of objects is expected")
    check_rows(len(records), source)
    return _records_table(records, source)


def _read_jsonl(text: str, source: str) -> pa.Table:
    records = []
    for n, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise _unreadable(source, f"line {n} is not valid JSON: {exc}") from None
        except RecursionError:
            raise _unreadable(source, f"line {n} is not valid JSON: nested too deeply") from None
        if len(records) % 65536 == 0:
            check_rows(len(records), source)
    return _records_table(records, source)


# --- Parquet ---------------------------------------------------------------------------------------------


def _read_parquet(path: Path) -> pa.Table:
    source = str(path)
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        check_columns(len(schema), source)
        check_rows(parquet.metadata.num_rows, source)
        nested = [f for f in schema if pa.types.is_nested(f.type)]
        if nested:
            raise _unreadable(
                source,
                f"column {nested[0].name!r} is nested ({nested[0].type}); columns must hold plain values",
            )
        table = parquet.read()
        table.validate(full=True)  # Parquet strings are not checked on reading: invalid UTF-8 stops here
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(source, f"not a readable Parquet file: {exc}") from None
    try:
        return _all_strings(table)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _unreadable(source, f"a column cannot be read as text: {exc}") from None


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
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        out = col.cast(pa.binary()).cast(pa.string())  # raises ArrowInvalid unless the bytes are UTF-8 text
    else:
        out = col.cast(pa.string())
    return pc.fill_null(out, "")


def _all_strings(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays([_as_string(c) for c in table.columns], names=table.column_names)
