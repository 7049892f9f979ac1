"""Column mappings: read a national format (other column names, other codes) as one of ours.

A mapping is a small YAML file::

    format: declarations            # or seizures
    columns: {our_name: "Their Name", ...}
    values: {transport_mode: {"10": sea, "40": air, "*": other}}   # their value -> our code; "*": any other
    constants: {flow: import, destination_country: KR}             # columns absent from their files
    extra: {critical_fraud: "Critical Fraud"}                      # kept under our snake_case name

It is validated when loaded, so a typo fails at once with the file and the offending key named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iprisk.errors import InvalidInput, LimitExceeded, MappingError
from iprisk.formats.schema import FORMATS, Schema

#: Folder of the mappings shipped with iprisk (``load_mapping("kcs")``).
MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"

#: In a value map, the key that catches every value not listed (empty cells excepted).
ANY_OTHER = "*"

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = {"format", "columns", "values", "constants", "extra", "description"}


@dataclass(frozen=True)
class ColumnMapping:
    """A validated column mapping (see the module docstring for the YAML it is read from)."""

    format: str
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    description: str = ""
    source: str = "<mapping>"

    @property
    def schema(self) -> Schema:
        return FORMATS[self.format]


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped with iprisk (loadable by bare name)."""
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def load_mapping(path_or_name: str | Path) -> ColumnMapping:
    """Load and validate a mapping file; a bare name (``"kcs"``) loads a shipped one.

    Raises MappingError naming the file and what is wrong with it.
    """
    path = Path(path_or_name)
    if isinstance(path_or_name, str) and not path.suffix and len(path.parts) == 1 and not path.exists():
        path = MAPPINGS_DIR / f"{path_or_name}.yaml"
        if not path.is_file():
            shipped = ", ".join(shipped_mappings()) or "none"
            raise MappingError(
                str(path_or_name), f"no such mapping file, and not a shipped mapping ({shipped})"
            )
    from iprisk.security import read_document

    source = str(path)
    try:
        doc = read_document(path, "yaml")  # bounded: aliases, expanded size, file size
    except LimitExceeded:
        raise
    except InvalidInput as exc:
        raise MappingError(source, exc.problems[0].message) from None
    return mapping_from_dict(doc, source=source)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _str_dict(doc: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise MappingError(source, f"{key}: expected a mapping of names, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def mapping_from_dict(doc: Any, *, source: str = "<mapping>") -> ColumnMapping:
    """Validate a parsed mapping document (the YAML as Python data)."""
    if not isinstance(doc, dict):
        raise MappingError(source, "expected a mapping with keys format, columns, values, constants, extra")
    unknown = sorted(set(map(str, doc)) - _KEYS)
    if unknown:
        raise MappingError(source, f"unknown key(s) {unknown}; allowed: {sorted(_KEYS)}")
    fmt = doc.get("format")
    if fmt not in FORMATS:
        raise MappingError(source, f"format: expected one of {sorted(FORMATS)}, got {fmt!r}")
    schema = FORMATS[fmt]

    columns = _str_dict(doc, "columns", source)
    for ours, theirs in columns.items():
        if ours not in schema:
            raise MappingError(source, f"columns: {ours!r} is not a {fmt} column; columns are {list(schema)}")
        if not isinstance(theirs, (str, int)) or not str(theirs).strip():
            raise MappingError(source, f"columns.{ours}: expected their column name, got {theirs!r}")
    columns = {k: str(v).strip() for k, v in columns.items()}
    theirs_seen: dict[str, str] = {}
    for ours, theirs in columns.items():
        key = theirs.casefold()
        if key in theirs_seen:
            raise MappingError(source, f"columns: {theirs!r} is mapped to both {theirs_seen[key]} and {ours}")
        theirs_seen[key] = ours

    values: dict[str, dict[str, str]] = {}
    for ours, table in _str_dict(doc, "values", source).items():
        if ours not in schema:
            raise MappingError(source, f"values: {ours!r} is not a {fmt} column")
        if not isinstance(table, dict):
            raise MappingError(
                source,
                f"values.{ours}: expected a mapping their value -> our value, got {type(table).__name__}",
            )
        col = schema[ours]
        mapped: dict[str, str] = {}
        for their_value, our_value in table.items():
            if our_value is None or isinstance(our_value, (dict, list)):
                raise MappingError(
                    source, f"values.{ours}.{their_value}: expected a value, got {our_value!r}"
                )
            ours_text = _text(our_value)
            if col.codes and ours_text not in col.codes:
                raise MappingError(
                    source,
                    f"values.{ours}.{their_value}: {ours_text!r} is not a {col.code_list} code; codes "
                    f"are {list(col.codes)}",
                )
            mapped[_text(their_value).strip()] = ours_text
        values[ours] = mapped

    constants: dict[str, str] = {}
    for ours, value in _str_dict(doc, "constants", source).items():
        if ours not in schema:
            raise MappingError(source, f"constants: {ours!r} is not a {fmt} column")
        if ours in columns:
            raise MappingError(source, f"constants: {ours!r} is also mapped under columns; keep one")
        if value is None or isinstance(value, (dict, list)):
            raise MappingError(source, f"constants.{ours}: expected a single value, got {value!r}")
        constants[ours] = _text(value)

    extra: dict[str, str] = {}
    for ours, theirs in _str_dict(doc, "extra", source).items():
        if fmt == "seizures":
            raise MappingError(source, "extra: a seizures table holds the format's columns only")
        if not _SNAKE.match(ours):
            raise MappingError(source, f"extra: {ours!r} is not a snake_case name (a-z, 0-9, _)")
        if ours in schema:
            raise MappingError(source, f"extra: {ours!r} is a {fmt} column; map it under columns")
        if not isinstance(theirs, (str, int)) or not str(theirs).strip():
            raise MappingError(source, f"extra.{ours}: expected their column name, got {theirs!r}")
        theirs_text = str(theirs).strip()
        if theirs_text.casefold() in theirs_seen:
            raise MappingError(
                source,
                f"extra.{ours}: {theirs_text!r} is already mapped to {theirs_seen[theirs_text.casefold()]}",
            )
        theirs_seen[theirs_text.casefold()] = ours
        extra[ours] = theirs_text

    description = doc.get("description") or ""
    return ColumnMapping(fmt, columns, values, constants, extra, str(description), source)


def resolve_mapping(
    mapping: str | Path | ColumnMapping | Mapping[str, Any] | None, fmt: str
) -> ColumnMapping:
    """A mapping argument (name, path, dict or ColumnMapping) as a ColumnMapping for format ``fmt``."""
    if mapping is None:
        return ColumnMapping(fmt, source="<no mapping>")
    if isinstance(mapping, ColumnMapping):
        result = mapping
    elif isinstance(mapping, (str, Path)):
        result = load_mapping(mapping)
    else:
        result = mapping_from_dict(dict(mapping))
    if result.format != fmt:
        raise MappingError(result.source, f"this mapping is for {result.format}, not {fmt}")
    return result
