"""A warning received becomes a watch at the receiving port: incoming declarations that match it are flagged.

A declaration line matches a warning by (first reason found, in this order):

* ``transport_document`` — its ``transport_document`` column (an extra column a mapping keeps) holds one of
  the warning's B/L, AWB or parcel numbers;
* ``container`` — its ``container`` column (``;``-separated numbers) holds one of the warning's containers;
* ``party`` — one of its party references (``trader_id``, ``seller_id``, ``declarant_id``, ``carrier_id``),
  keyed with the nodes' party key (:func:`iprisk.referrals.parties.party_key`, under the warning party's
  scheme), equals a keyed identifier of the warning;
* ``lane`` — same arrival port (and departure port when the line has one), the same HS subheading (6 digits)
  and a date from ``LANE_DAYS_BEFORE`` days before the expected arrival to the expiry.

Vectorised with pyarrow compute: one pass over the declarations per watch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.formats.referrals import ReferralWarning
from iprisk.referrals.parties import party_key

#: Days before the expected arrival from which a lane + HS match counts (declarations are lodged ahead).
LANE_DAYS_BEFORE = 14
#: Party reference columns of the declarations format compared with keyed identifiers.
PARTY_COLUMNS = ("trader_id", "seller_id", "declarant_id", "carrier_id")
#: Why a line matched, strongest first.
REASONS = ("transport_document", "container", "party", "lane")


def _normalised(column: pa.ChunkedArray) -> pa.ChunkedArray:
    text = pc.cast(column, pa.string())
    return pc.utf8_upper(pc.replace_substring(text, " ", ""))


def _in(column: pa.ChunkedArray, values: set[str]) -> np.ndarray:
    if not values:
        return np.zeros(len(column), bool)
    hit = pc.is_in(column, value_set=pa.array(sorted(values), pa.string()))
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), bool)


def _any_in_list(column: pa.ChunkedArray, values: set[str]) -> np.ndarray:
    if not values:
        return np.zeros(len(column), bool)
    parts = pc.split_pattern(_normalised(column), ";")
    flat = pc.list_flatten(parts)
    rows = pc.list_parent_indices(parts)
    hit = np.asarray(pc.fill_null(pc.is_in(flat, value_set=pa.array(sorted(values))), False), bool)
    out = np.zeros(len(column), bool)
    out[np.asarray(rows)[hit]] = True
    return out


def _party_match(declarations: pa.Table, warning: ReferralWarning, key: bytes | None) -> np.ndarray:
    match = np.zeros(declarations.num_rows, bool)
    targets = {p.identifier_key for p in warning.parties if p.identifier_key}
    schemes = {p.scheme or "" for p in warning.parties if p.identifier_key} | {"eori", "uscc", "customs_code"}
    if key is None or not targets:
        return match
    for name in PARTY_COLUMNS:
        if name not in declarations.column_names:
            continue
        values = declarations.column(name).to_pylist()
        distinct = {v for v in values if v}
        keyed = {v for v in distinct for s in schemes if party_key(key, s, v) in targets}
        match |= _in(declarations.column(name), keyed)
    return match


def _lane_match(declarations: pa.Table, warning: ReferralWarning) -> np.ndarray:
    names = declarations.column_names
    if "arrival_port" not in names:
        return np.zeros(declarations.num_rows, bool)
    arrival = pc.equal(declarations.column("arrival_port"), warning.arrival_port)
    same = pc.and_kleene(arrival, pc.starts_with(declarations.column("hs_code"), warning.hs_code[:6]))
    if "departure_port" in names:
        departure = declarations.column("departure_port")
        same = pc.and_kleene(
            same, pc.or_kleene(pc.is_null(departure), pc.equal(departure, warning.departure_port))
        )
    start = warning.expected_arrival - timedelta(days=LANE_DAYS_BEFORE)
    dates = declarations.column("date")
    in_period = pc.and_(
        pc.greater_equal(dates, pa.scalar(start)), pc.less_equal(dates, pa.scalar(warning.expiry))
    )
    return np.asarray(pc.fill_null(pc.and_kleene(same, in_period), False), bool)


def watch_matches(
    declarations: pa.Table, warnings: Sequence[ReferralWarning], *, key: bytes | None = None
) -> list[list[tuple[str, str]]]:
    """Per declaration line, the (referral id, reason) of every watch it matches (empty list: none)."""
    found: list[list[tuple[str, str]]] = [[] for _ in range(declarations.num_rows)]
    names = declarations.column_names
    documents = (
        _normalised(declarations.column("transport_document")) if "transport_document" in names else None
    )
    for warning in warnings:
        masks = {
            "transport_document": _in(documents, warning.document_numbers())
            if documents is not None
            else None,
            "container": (
                _any_in_list(declarations.column("container"), warning.container_numbers())
                if "container" in names
                else None
            ),
            "party": _party_match(declarations, warning, key),
            "lane": _lane_match(declarations, warning),
        }
        taken = np.zeros(declarations.num_rows, bool)
        for reason in REASONS:
            mask = masks[reason]
            if mask is None:
                continue
            for i in np.flatnonzero(mask & ~taken):
                found[i].append((str(warning.id), reason))
            taken |= mask
    return found


def flag_scores(scores: pa.Table, matches: list[list[tuple[str, str]]]) -> pa.Table:
    """The scores table (formats.SCORES) with each matched referral as ``referral:<id>`` in
    ``matched_profiles`` and ``referral:<id>=<reason>`` first in ``top_reasons``; the format is unchanged."""
    if not any(matches):
        return scores
    profiles = scores.column("matched_profiles").to_pylist()
    reasons = scores.column("top_reasons").to_pylist()
    for i, hits in enumerate(matches):
        if hits:
            ids = ";".join(f"referral:{rid}" for rid, _ in hits)
            profiles[i] = f"{profiles[i]};{ids}" if profiles[i] else ids
            why = "; ".join(f"referral:{rid}={reason}" for rid, reason in hits)
            reasons[i] = f"{why}; {reasons[i]}" if reasons[i] else why
    at = scores.column_names.index
    scores = scores.set_column(at("matched_profiles"), "matched_profiles", pa.array(profiles, pa.string()))
    return scores.set_column(at("top_reasons"), "top_reasons", pa.array(reasons, pa.string()))
