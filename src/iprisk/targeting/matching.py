"""Which active risk profiles each declaration matches, over dictionary codes instead of per-row SQL.

:func:`iprisk.profiles.evaluate` (the rule engine, one DuckDB query) is the definition; scoring 1 M
declarations spends about 1.7 CPU-s in it, because every criterion is evaluated on every row. Most criteria
compare a code column with a list (``origin_country IN (...)``, ``starts_with(hs_code, ...)``): here each such
column is dictionary-encoded once, the criterion is evaluated on its *distinct* values, and the rows take the
answer by their dictionary index; only the value and value-per-kg ranges and the validity dates are compared
row by row, in numpy. Same answers, with the engine's SQL semantics: a NULL cell fails its criterion, NaN
counts as greater than every number (DuckDB's order), value per kg exists only where the mass is > 0.

Anything this does not cover (a criterion or scope field it does not know, a column of another type than
the engine's usual ones, a missing column, more than 62 profiles) returns None, and the caller uses the
engine: a new criterion can never be silently ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.codes import categories_for_hs
from iprisk.profiles.engine import IN_FIELDS  # criteria compared with ``column IN (...)``
from iprisk.targeting.columnar import dictionary_codes, is_text, is_text_dictionary

_KNOWN_CRITERIA = {*IN_FIELDS, "hs_prefixes", "value", "value_per_kg"}
_KNOWN_SCOPE = {"flow", "offices"}
#: profiles packed into one int64 per row (bit i: the i-th profile by id)
_MAX_PROFILES = 62
_EPOCH = date(1970, 1, 1)


class _Unsupported(Exception):
    """A column or criterion the fast path does not cover: the engine decides."""


class _Columns:
    """The table's columns, each dictionary-encoded at most once."""

    def __init__(self, data: pa.Table) -> None:
        self.data = data
        self.encoded: dict[str, tuple[np.ndarray, pa.Array]] = {}
        self.answers: dict[tuple[str, tuple[Any, ...]], np.ndarray] = {}
        self.numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def codes(self, name: str) -> tuple[np.ndarray, pa.Array]:
        """Per row, the index of its value among the column's distinct values (nulls too); those values."""
        if name not in self.encoded:
            if name == "product_category" and name not in self.data.column_names:
                # derived from hs_code, as the engine does, on the distinct codes only
                indices, dictionary = self.codes("hs_code")
                self.encoded[name] = (indices, categories_for_hs(dictionary))
                return self.encoded[name]
            if name not in self.data.column_names:
                raise _Unsupported(name)
            col = self.data.column(name).combine_chunks()
            if not (is_text(col.type) or is_text_dictionary(col.type)):
                raise _Unsupported(name)
            self.encoded[name] = dictionary_codes(col)
        return self.encoded[name]

    def where(self, name: str, key: tuple[Any, ...], test: Any) -> np.ndarray:
        """Per row, ``test`` (an Arrow kernel over the distinct values) of its value; NULL counts as False.

        ``key`` names the test: profiles sharing a criterion (the flow, a list of origins) share its answer.
        """
        if (name, key) not in self.answers:
            indices, dictionary = self.codes(name)
            on_distinct = pc.fill_null(test(dictionary), False).to_numpy(zero_copy_only=False)
            self.answers[name, key] = np.asarray(on_distinct, dtype=bool)[indices]
        return self.answers[name, key]

    def number(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``CAST(column AS DOUBLE)`` as float64 and its validity (False where NULL)."""
        if name not in self.numbers:
            self.numbers[name] = self._number(name)
        return self.numbers[name]

    def _number(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self.data.column_names:
            raise _Unsupported(name)
        col = self.data.column(name).combine_chunks()
        if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            raise _Unsupported(name)
        valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
        values = pc.fill_null(col.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype="float64"), valid

    def days(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``date`` column as days since 1970 and its validity; only a date32 column is covered."""
        if "date" not in self.numbers:
            self.numbers["date"] = self._days()
        return self.numbers["date"]

    def _days(self) -> tuple[np.ndarray, np.ndarray]:
        if "date" not in self.data.column_names:
            raise _Unsupported("date")
        col = self.data.column("date").combine_chunks()
        if col.type != pa.date32():
            raise _Unsupported("date")
        valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
        values = pc.fill_null(col.cast(pa.int32()), 0).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype="int64"), valid


def _in_range(x: np.ndarray, valid: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """SQL ``x IS NOT NULL AND x >= low AND x <= high`` with DuckDB's NaN (greater than every number)."""
    nan = np.isnan(x)
    ok = valid.copy()
    with np.errstate(invalid="ignore"):
        if low is not None:
            ok &= (x >= float(low)) | nan
        if high is not None:
            ok &= (x <= float(high)) & ~nan
    return ok


def _profile_mask(profile: Any, cols: _Columns, check_validity: bool) -> np.ndarray:
    scope, crit = profile.scope, profile.criteria
    if {n for n in type(scope).model_fields if getattr(scope, n)} - _KNOWN_SCOPE:
        raise _Unsupported("scope")
    if {n for n in type(crit).model_fields if getattr(crit, n)} - _KNOWN_CRITERIA:
        raise _Unsupported("criteria")
    flow = pa.array([scope.flow], pa.string())
    mask = cols.where("flow", ("in", scope.flow), lambda d: pc.is_in(d, value_set=flow)).copy()
    if scope.offices:
        offices = pa.array(scope.offices, pa.string())
        mask &= cols.where("office", ("in", *scope.offices), lambda d: pc.is_in(d, value_set=offices))
    if check_validity:
        days, valid = cols.days()
        mask &= valid & (days >= (profile.valid_from - _EPOCH).days)
        if profile.valid_to is not None:
            mask &= days <= (profile.valid_to - _EPOCH).days
    if crit.hs_prefixes:
        prefixes = list(crit.hs_prefixes)

        def starts(d: pa.Array) -> pa.Array:
            hit = pc.starts_with(d, prefixes[0])
            for p in prefixes[1:]:
                hit = pc.or_kleene(hit, pc.starts_with(d, p))
            return hit

        mask &= cols.where("hs_code", ("starts", *prefixes), starts)
    for field, column in IN_FIELDS.items():
        values = getattr(crit, field)
        if values:
            wanted = pa.array(list(values), pa.string())
            mask &= cols.where(column, ("in", *values), lambda d, w=wanted: pc.is_in(d, value_set=w))
    if crit.value is not None:
        value, valid = cols.number("value")
        mask &= _in_range(value, valid, crit.value.min, crit.value.max)
    if crit.value_per_kg is not None:
        value, value_ok = cols.number("value")
        mass, mass_ok = cols.number("net_mass_kg")
        with np.errstate(invalid="ignore", divide="ignore"):
            positive = mass_ok & ((mass > 0) | np.isnan(mass))  # NaN > 0 in DuckDB
            per_kg = value / np.where(positive, mass, 1.0)
        rng = crit.value_per_kg
        mask &= _in_range(per_kg, value_ok & positive, rng.min, rng.max)
    return mask


def _combinations(
    data: pa.Table, ordered: list[Any], check_validity: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row, the index of its combination of matched profiles; the combinations (bit i: ``ordered[i]``)."""
    if not ordered or len(ordered) > _MAX_PROFILES or len({p.id for p in ordered}) != len(ordered):
        return None
    cols = _Columns(data)
    try:
        packed = np.zeros(data.num_rows, dtype="int64")
        for bit, profile in enumerate(ordered):
            packed |= _profile_mask(profile, cols, check_validity).astype("int64") << bit
    except _Unsupported:
        return None
    group, combos = pd.factorize(packed)
    return np.asarray(group, dtype="int64"), np.asarray(combos, dtype="int64")


def _members(combo: int, ordered: list[Any]) -> list[Any]:
    return [p for bit, p in enumerate(ordered) if combo >> bit & 1]


def matched_profile_ids(data: pa.Table, profiles: Sequence[Any]) -> pa.Array | None:
    """Per row, the ids of the ``profiles`` it matches, sorted and joined by ``;`` (``""`` when none).

    Every profile given is evaluated (filter by status first), with its validity dates, as
    ``evaluate(data, profiles)["matched_profiles"]`` joined. None when the fast path does not cover the
    profiles or the columns' types: then ask the engine.
    """
    ordered = sorted(profiles, key=lambda p: p.id)
    found = _combinations(data, ordered, check_validity=True)
    if found is None:
        return None
    group, combos = found  # one label per distinct combination of profiles, then taken by every row
    labels = [";".join(p.id for p in _members(int(c), ordered)) for c in combos]
    return pa.array(labels, pa.string()).take(pa.array(group))


def hits_and_max_risk(data: pa.Table, profiles: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row, how many of ``profiles`` it matches and their highest ``risk_level`` (0 when none), as
    float64, whatever their status and validity dates (the profile features of a model; see
    :mod:`iprisk.targeting.profiled`). None when the fast path does not cover them: ask the engine."""
    ordered = sorted(profiles, key=lambda p: p.id)
    found = _combinations(data, ordered, check_validity=False)
    if found is None:
        return None
    group, combos = found
    members = [_members(int(c), ordered) for c in combos]
    hits = np.array([len(m) for m in members], dtype="float64")
    risk = np.array([max((p.risk_level for p in m), default=0) for m in members], dtype="float64")
    return hits[group], risk[group]
