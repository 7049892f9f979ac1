"""Declarations and labels as the targeting code needs them: a pandas frame, code strings, 0/1 labels.

Shared by the feature builder, the scorer and the backtests; no learning here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from iprisk.errors import InvalidInput, Problem
from iprisk.lanes import lane_keys

#: Keys derived from a column: the HS code cut to 6, 4 or 2 digits.
DERIVED = {"hs6": ("hs_code", 6), "hs4": ("hs_code", 4), "hs2": ("hs_code", 2)}

#: The ``lane`` key (:mod:`iprisk.lanes`): ``departure_port -> arrival_port`` when both ports are filled, else
#: ``departure_country -> office``. The ports are optional (used when the columns exist); the other two are
#: not.
LANE = "lane"
LANE_PORTS = ("departure_port", "arrival_port")
LANE_REQUIRED = ("departure_country", "office")


def sources(name: str, columns: Any = None) -> list[str]:
    """The columns a key is computed from (for ``lane``: the ports only when present in ``columns``)."""
    if name in DERIVED:
        return [DERIVED[name][0]]
    if name == LANE:
        ports = columns is not None and all(c in columns for c in LANE_PORTS)
        return [*(LANE_PORTS if ports else ()), *LANE_REQUIRED]
    return [name]


def lane_strings(frame: pd.DataFrame) -> pd.Series:
    """The lane of every row (see :data:`LANE`)."""
    lane = lane_keys(frame["departure_country"], frame["office"])
    if all(c in frame.columns for c in LANE_PORTS):
        dep, arr = code_strings(frame["departure_port"]), code_strings(frame["arrival_port"])
        both = dep.str.strip().ne("") & arr.str.strip().ne("")
        lane = lane.where(~both, lane_keys(dep, arr))
    return lane


def keyname(key: str | tuple[str, str]) -> str:
    return key if isinstance(key, str) else f"{key[0]}__{key[1]}"


def as_frame(declarations: Any) -> pd.DataFrame:
    """A pandas view of a pyarrow Table or DataFrame (pyarrow is converted once)."""
    if isinstance(declarations, pd.DataFrame):
        return declarations
    to_pandas = getattr(declarations, "to_pandas", None)
    if to_pandas is None:
        raise TypeError(f"declarations must be a pandas DataFrame or pyarrow Table, not {type(declarations)}")
    frame: pd.DataFrame = to_pandas()
    return frame


def code_strings(series: pd.Series) -> pd.Series:
    """A code column as plain strings, missing as ''."""
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return series.fillna("").astype(str)
    return series.astype("string").fillna("").astype(str)


def blank(series: pd.Series) -> pd.Series:
    """Missing or empty-string cells."""
    blank = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        blank |= series.astype("string").fillna("").str.strip().eq("")
    return blank


def key_columns(frame: pd.DataFrame, keys: Sequence[str | tuple[str, str]]) -> pd.DataFrame:
    """The string value of every encoded key (derived HS levels and pairs built here)."""
    base: dict[str, pd.Series] = {}

    def col(name: str) -> pd.Series:
        if name not in base:
            if name in DERIVED:
                src, width = DERIVED[name]
                base[name] = code_strings(frame[src]).str.replace(".", "", regex=False).str[:width]
            elif name == LANE:
                base[name] = lane_strings(frame)
            else:
                base[name] = code_strings(frame[name])
        return base[name]

    out = {}
    for key in keys:
        if isinstance(key, str):
            out[keyname(key)] = col(key)
        else:
            out[keyname(key)] = col(key[0]) + "|" + col(key[1])
    return pd.DataFrame(out, index=frame.index)


def check_labels(labels: Any, n: int) -> np.ndarray:
    """Labels as a float array of 0/1 (NaN = not inspected); InvalidInput names a bad value."""
    arr = pd.Series(labels).astype("float64").to_numpy() if not isinstance(labels, np.ndarray) else labels
    arr = np.asarray(arr, dtype="float64")
    if arr.shape != (n,):
        raise InvalidInput(
            [Problem("label-shape", f"expected {n} labels, got shape {arr.shape}")], source="labels"
        )
    bad = ~np.isnan(arr) & (arr != 0) & (arr != 1)
    if bad.any():
        raise first_row_error(bad, arr, "label-binary", "labels must be 0/1 (or missing)", source="labels")
    return arr


_TEXT_LABELS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0}


def label_values(column: pd.Series, name: str = "label") -> np.ndarray:
    """A label column (bool, 0/1, or text true/false/yes/no/1/0) as floats, missing as NaN.

    InvalidInput names the first row whose value is none of these.
    """
    present = column.notna().to_numpy()
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        values = column.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    else:
        # Python bools in an object column (pyarrow bool with nulls) become "True"/"False" here too
        text = column.astype("string").str.strip().str.lower()
        values = text.map(_TEXT_LABELS).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    bad = present & (np.isnan(values) | ((values != 0) & (values != 1)))
    if bad.any():
        raise first_row_error(
            bad,
            column,
            "label-binary",
            "labels must be 0/1, true/false or yes/no",
            column=name,
            source="declarations",
        )
    return values


def first_row_error(
    bad: np.ndarray,
    values: pd.Series | np.ndarray,
    rule: str,
    message: str,
    *,
    column: str | None = None,
    file: str | None = None,
    source: str,
) -> InvalidInput:
    """The error naming the first row (1-based) where ``bad`` holds, its value, and how many rows broke
    ``rule``."""
    i = int(np.flatnonzero(bad)[0])
    value = values.iloc[i] if isinstance(values, pd.Series) else values[i]
    return InvalidInput(
        [Problem(rule, message, row=i + 1, column=column, value=str(value), file=file)],
        source=source,
        total=int(bad.sum()),
    )
