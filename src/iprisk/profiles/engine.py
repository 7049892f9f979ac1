"""The rule engine: every active profile evaluated on a batch of declarations in one DuckDB query.

Each profile compiles to one boolean SQL expression (scope, validity dates, criteria); the query computes all
of them in one columnar pass over the Arrow table and builds, per declaration, the sorted list of matching
profile ids, the highest risk level (0 when none matches) and whether a mandatory profile matched. No Python
loop runs over declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from iprisk.codes import categories_for_hs
from iprisk.errors import InvalidInput, Problem
from iprisk.profiles.model import Criteria, Profile, Range

#: Criteria fields tested with ``column IN (...)``: field -> declarations column.
IN_FIELDS: dict[str, str] = {
    "product_categories": "product_category",
    "origin_countries": "origin_country",
    "departure_countries": "departure_country",
    "destination_countries": "destination_country",
    "departure_ports": "departure_port",
    "arrival_ports": "arrival_port",
    "transport_modes": "transport_mode",
    "trader_ids": "trader_id",
    "declarant_ids": "declarant_id",
    "seller_ids": "seller_id",
    "carrier_ids": "carrier_id",
}
OUTPUT_COLUMNS = ("matched_profiles", "max_risk_level", "mandatory")
_VPK = "CASE WHEN net_mass_kg > 0 THEN CAST(value AS DOUBLE) / net_mass_kg END"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _range(expr: str, r: Range) -> str:
    parts = [f"{expr} IS NOT NULL"]
    if r.min is not None:
        parts.append(f"{expr} >= {float(r.min)!r}")
    if r.max is not None:
        parts.append(f"{expr} <= {float(r.max)!r}")
    return "(" + " AND ".join(parts) + ")"


def criteria_columns(criteria: Criteria) -> set[str]:
    """The declarations columns a set of criteria reads."""
    cols = {col for fld, col in IN_FIELDS.items() if getattr(criteria, fld)}
    if criteria.hs_prefixes:
        cols.add("hs_code")
    if criteria.value is not None:
        cols.add("value")
    if criteria.value_per_kg is not None:
        cols |= {"value", "net_mass_kg"}
    return cols


def profile_columns(profile: Profile, *, check_validity: bool = True) -> set[str]:
    """Every declarations column evaluating ``profile`` reads."""
    cols = criteria_columns(profile.criteria) | {"flow"}
    if profile.scope.offices:
        cols.add("office")
    if check_validity:
        cols.add("date")
    return cols


def criteria_sql(criteria: Criteria) -> str:
    """The criteria as one SQL boolean expression over the canonical declarations columns."""
    parts: list[str] = []
    if criteria.hs_prefixes:
        ors = " OR ".join(f"starts_with(hs_code, {_quote(p)})" for p in criteria.hs_prefixes)
        parts.append(f"({ors})")
    for fld, col in IN_FIELDS.items():
        values: list[str] = getattr(criteria, fld)
        if values:
            parts.append(f"{col} IN ({', '.join(_quote(v) for v in values)})")
    if criteria.value is not None:
        parts.append(_range("CAST(value AS DOUBLE)", criteria.value))
    if criteria.value_per_kg is not None:
        parts.append(_range(f"({_VPK})", criteria.value_per_kg))
    return " AND ".join(parts) if parts else "TRUE"


def profile_sql(profile: Profile, *, check_validity: bool = True) -> str:
    """Scope, validity and criteria of one profile as a SQL boolean expression (never NULL)."""
    parts = [f"flow = {_quote(profile.scope.flow)}"]
    if profile.scope.offices:
        parts.append(f"office IN ({', '.join(_quote(o) for o in profile.scope.offices)})")
    if check_validity:
        parts.append(f"CAST(date AS DATE) >= DATE {_quote(profile.valid_from.isoformat())}")
        if profile.valid_to is not None:
            parts.append(f"CAST(date AS DATE) <= DATE {_quote(profile.valid_to.isoformat())}")
    parts.append(criteria_sql(profile.criteria))
    return "coalesce(" + " AND ".join(f"({p})" for p in parts) + ", FALSE)"


def compile_profiles(
    profiles: Sequence[Profile],
    *,
    keep: Sequence[str] = (),
    table: str = "declarations",
    check_validity: bool = True,
) -> str:
    """One SQL query evaluating all ``profiles`` on ``table``; see :func:`evaluate` for its output columns."""
    ordered = sorted(profiles, key=lambda p: p.id)  # list built in this order is sorted by id
    kept = [_ident(c) for c in keep]
    flags = [f"{profile_sql(p, check_validity=check_validity)} AS _m{i}" for i, p in enumerate(ordered)]
    inner = f"SELECT {', '.join([*kept, *flags]) or '1 AS _none'} FROM {table}"
    if ordered:
        ids = ", ".join(f"CASE WHEN _m{i} THEN {_quote(p.id)} END" for i, p in enumerate(ordered))
        levels = ", ".join(f"CASE WHEN _m{i} THEN {p.risk_level} ELSE 0 END" for i, p in enumerate(ordered))
        mandatory = [f"_m{i}" for i, p in enumerate(ordered) if p.mandatory]
        matched = f"list_filter([{ids}], lambda x: x IS NOT NULL)"
        level = f"CAST(greatest({levels}, 0) AS TINYINT)"
        mand = " OR ".join(mandatory) if mandatory else "FALSE"
    else:
        matched, level, mand = "CAST([] AS VARCHAR[])", "CAST(0 AS TINYINT)", "FALSE"
    outer = [*kept, f"{matched} AS matched_profiles", f"{level} AS max_risk_level", f"({mand}) AS mandatory"]
    return f"SELECT {', '.join(outer)} FROM ({inner}) AS flagged"


def _as_arrow(declarations: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(declarations, pa.Table):
        return declarations
    if isinstance(declarations, pd.DataFrame):
        return pa.Table.from_pandas(declarations, preserve_index=False)
    raise TypeError(f"declarations must be a pyarrow Table or a pandas DataFrame, not {type(declarations)}")


def _missing(profiles: Iterable[Profile], columns: set[str], check_validity: bool) -> list[Problem]:
    problems = []
    for p in profiles:
        for col in sorted(profile_columns(p, check_validity=check_validity) - columns):
            problems.append(Problem("missing-column", f"profile {p.id} needs column {col}", column=col))
    return problems


def evaluate(
    declarations: pa.Table | pd.DataFrame,
    profiles: Sequence[Profile],
    *,
    only_active: bool = True,
    check_validity: bool = True,
    keep: Sequence[str] | None = None,
) -> pa.Table:
    """Evaluate profiles on declarations, in the engine; one output row per input row, in input order.

    Returns the ``keep`` columns (default: ``declaration_id`` and ``item_no`` when present) and
    ``matched_profiles`` (list of ids, sorted), ``max_risk_level`` (int8, 0 when nothing matches) and
    ``mandatory`` (a mandatory profile matched). ``only_active`` skips profiles that are not active;
    ``check_validity`` applies each profile's validity dates to the declaration's ``date``. A
    ``product_category`` column is derived from ``hs_code`` when a profile needs it and the table lacks it.
    """
    table = _as_arrow(declarations)
    chosen = [p for p in profiles if p.status == "active" or not only_active]
    ids = [p.id for p in chosen]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"several versions of the same profile given: {', '.join(dupes)}")
    columns = set(table.column_names)
    if (
        "product_category" not in columns
        and "hs_code" in columns
        and any(p.criteria.product_categories for p in chosen)
    ):
        table = table.append_column("product_category", categories_for_hs(table.column("hs_code")))
        columns.add("product_category")
    problems = _missing(chosen, columns, check_validity)
    if problems:
        raise InvalidInput(problems, source="declarations")
    if keep is None:
        keep = [c for c in ("declaration_id", "item_no") if c in columns]
    sql = compile_profiles(chosen, keep=keep, check_validity=check_validity)
    con = duckdb.connect()
    try:
        con.register("declarations", table)
        result = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return result


def matches_by_profile(
    declarations: pa.Table | pd.DataFrame, profiles: Sequence[Profile], *, check_validity: bool = True
) -> pd.DataFrame:
    """One boolean column per profile id (declarations x profiles), evaluated in the engine (for mining)."""
    table = _as_arrow(declarations)
    ordered = sorted(profiles, key=lambda p: p.id)
    if not ordered:
        return pd.DataFrame(index=range(table.num_rows))
    columns = set(table.column_names)
    if "product_category" not in columns and any(p.criteria.product_categories for p in ordered):
        table = table.append_column("product_category", categories_for_hs(table.column("hs_code")))
        columns.add("product_category")
    problems = _missing(ordered, columns, check_validity)
    if problems:
        raise InvalidInput(problems, source="declarations")
    flags = ", ".join(f"{profile_sql(p, check_validity=check_validity)} AS {_ident(p.id)}" for p in ordered)
    con = duckdb.connect()
    try:
        con.register("declarations", table)
        frame: pd.DataFrame = con.sql(f"SELECT {flags} FROM declarations").df()
    finally:
        con.close()
    return frame


def valid_on(profiles: Iterable[Profile], day: date) -> list[Profile]:
    """The profiles whose validity covers ``day``."""
    return [p for p in profiles if p.is_valid_on(day)]
