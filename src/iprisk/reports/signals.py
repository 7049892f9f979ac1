"""Signals in words: each signal's facts (segment, direction, observed, expected, q...) as one sentence.

The analysis returns facts only (:func:`iprisk.analysis.signals`); this module writes them for people in a
language, e.g. ``Cases of toys by express rose to 29 against 8.3 expected (x3.51, q = 0.00043).``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from iprisk.analysis import SIGNAL_DIMENSIONS
from iprisk.codes.lists import IPR_TYPES, PRODUCT_CATEGORIES, TRANSPORT_MODES
from iprisk.i18n import N_, Text
from iprisk.reports.document import Num, Para, Style, rich
from iprisk.reports.facts import Facts

#: The columns of ``signals.csv``: the facts a reader needs, then the explanation in English.
SIGNAL_FILE_COLUMNS: tuple[str, ...] = (
    "quarter",
    "direction",
    *SIGNAL_DIMENSIONS,
    "metric",
    "observed",
    "expected",
    "p_value",
    "q_value",
    "score",
    "rank",
    "explanation",
)


def _qualifiers(segment: Mapping[str, str], text: Text) -> list[str]:
    """Every dimension of the segment but the product, in the order the sentences name them."""
    out = []
    if "reporting_admin" in segment:
        out.append(text.gettext("reported by {admin}", admin=text.country(segment["reporting_admin"])))
    if "office" in segment:
        out.append(text.gettext("at {office}", office=segment["office"]))
    if "transport_mode" in segment:
        out.append(text.gettext("by {mode}", mode=_code(TRANSPORT_MODES, segment["transport_mode"], text)))
    if "provenance_country" in segment:
        out.append(text.gettext("from {country}", country=text.country(segment["provenance_country"])))
    if "ipr_type" in segment:
        out.append(text.gettext("infringing {ipr}", ipr=_code(IPR_TYPES, segment["ipr_type"], text)))
    return out


def _code(codes: Any, code: str, text: Text) -> str:
    """A code in a sentence: English writes the code (``inland waterway``), other languages its label."""
    return code.replace("_", " ") if text.locale == "en" else text.label(codes, code)


def describe_segment(segment: Mapping[str, str], text: Text | None = None) -> str:
    """``toys from CN by post at NLRTM`` for a segment (dimension -> value); ``all seizures`` for none."""
    text = text or Text()
    head = ""
    if "product_category" in segment:
        code = segment["product_category"]
        head = PRODUCT_CATEGORIES[code].label(text.locale) if code in PRODUCT_CATEGORIES else code
        head = head.lower() if text.locale == "en" else head
    qualifiers = _qualifiers(segment, text)
    if not qualifiers:
        return head or text.gettext("all seizures")
    joined = qualifiers[0]
    for q in qualifiers[1:]:
        joined = text.gettext("{first} {second}", first=joined, second=q)
    return text.gettext("{product} {qualifiers}", product=head, qualifiers=joined) if head else joined


def segment_of(row: Mapping[Any, Any]) -> dict[str, str]:
    """The segment of a signal row: its filled dimension columns."""
    return {d: str(row[d]) for d in SIGNAL_DIMENSIONS if isinstance(row.get(d), str) and row[d]}


#: One whole sentence per kind of signal, so that each language words it whole: (direction, unit, "of"
#: before the segment) -> message. English says "cases of toys" but "cases at DEHAM".
_SENTENCES: dict[tuple[str, str, bool], str] = {
    ("up", "cases", True): N_(
        "Cases of {segment} rose to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("up", "cases", False): N_(
        "Cases {segment} rose to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("up", "lines", True): N_(
        "Lines of {segment} rose to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("up", "lines", False): N_(
        "Lines {segment} rose to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("down", "cases", True): N_(
        "Cases of {segment} fell to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("down", "cases", False): N_(
        "Cases {segment} fell to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("down", "lines", True): N_(
        "Lines of {segment} fell to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("down", "lines", False): N_(
        "Lines {segment} fell to {observed} against {expected} expected (x{ratio}, q = {q})."
    ),
    ("new", "cases", True): N_(
        "New: {observed} cases of {segment}, where the {span} quarters before had none (q = {q})."
    ),
    ("new", "cases", False): N_(
        "New: {observed} cases {segment}, where the {span} quarters before had none (q = {q})."
    ),
    ("new", "lines", True): N_(
        "New: {observed} lines of {segment}, where the {span} quarters before had none (q = {q})."
    ),
    ("new", "lines", False): N_(
        "New: {observed} lines {segment}, where the {span} quarters before had none (q = {q})."
    ),
    ("new after", "cases", True): N_(
        "New: {observed} cases of {segment} after {previous} in the previous quarter, where the {span} "
        "quarters before had none (q = {q})."
    ),
    ("new after", "cases", False): N_(
        "New: {observed} cases {segment} after {previous} in the previous quarter, where the {span} "
        "quarters before had none (q = {q})."
    ),
    ("new after", "lines", True): N_(
        "New: {observed} lines of {segment} after {previous} in the previous quarter, where the {span} "
        "quarters before had none (q = {q})."
    ),
    ("new after", "lines", False): N_(
        "New: {observed} lines {segment} after {previous} in the previous quarter, where the {span} "
        "quarters before had none (q = {q})."
    ),
}  # fmt: skip


def _sentence(row: Mapping[Any, Any]) -> str:
    """The message that words this signal: by direction, unit and whether it names a product."""
    segment = segment_of(row)
    unit = "cases" if row["metric"] == "cases" else "lines"
    of_product = "product_category" in segment or not segment
    kind = str(row["direction"])
    if kind == "new" and int(row["previous"]) > 0:
        kind = "new after"
    return _SENTENCES[(kind, unit, of_product)]


def explain_signal(row: Mapping[Any, Any], text: Text | None = None) -> str:
    """One sentence for one signal (a row of :func:`iprisk.analysis.signals`)."""
    text = text or Text()
    facts: dict[str, Any] = {
        "segment": describe_segment(segment_of(row), text),
        "observed": int(row["observed"]),
        "q": text.number(float(row["q_value"]), significant=2),
    }
    if row["direction"] == "new":
        facts.update(previous=int(row["previous"]), span=int(row["span"]))
    else:
        expected = float(row["expected"])
        ratio = facts["observed"] / expected if expected > 0 else float("inf")
        facts.update(
            expected=text.number(expected, decimals=1, grouping=False),
            ratio=text.number(ratio, decimals=2, grouping=False) if expected > 0 else "inf",
        )
    return text.gettext(_sentence(row), **facts)


def signal_where(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The key of a signal in the signals table: quarter, direction, metric and its segment (``None`` for
    a dimension it does not cut by)."""
    segment = segment_of(row)
    key = {"quarter": row["quarter"], "direction": row["direction"], "metric": row["metric"]}
    return key | {d: segment.get(d) for d in SIGNAL_DIMENSIONS}


def signal_para(row: Mapping[Any, Any], facts: Facts, text: Text) -> Para:
    """The sentence of :func:`explain_signal` with its numbers read from the report's ``signals`` table."""
    where = signal_where(row)

    def num(column: str, style: Style) -> Num:
        return facts.num("signals", column, style, **where)

    observed = num("observed", "int")
    params: dict[str, Any] = {
        "segment": describe_segment(segment_of(row), text),
        "observed": observed,
        "q": num("q_value", "sig2"),
    }
    if row["direction"] == "new":
        params.update(previous=num("previous", "int"), span=num("span", "int"))
    else:
        expected = num("expected", "dec1")
        params.update(expected=expected, ratio=facts.calc("ratio", observed, expected, style="dec2"))
    return rich(text, _sentence(row), **params)


def explanations(signals: pd.DataFrame, text: Text | None = None) -> list[str]:
    """The sentence of every signal, in row order."""
    return [explain_signal({str(k): v for k, v in row.items()}, text) for row in signals.to_dict("records")]


def signals_file_table(signals: pd.DataFrame) -> pd.DataFrame:
    """The table written to ``signals.csv``: :data:`SIGNAL_FILE_COLUMNS`, explanations in English."""
    out = (
        signals.assign(explanation=explanations(signals)) if len(signals) else signals.assign(explanation="")
    )
    return out[list(SIGNAL_FILE_COLUMNS)]


def direction_label(direction: str, text: Text) -> str:
    labels: Sequence[tuple[str, str]] = (
        ("up", text.gettext("up")),
        ("down", text.gettext("down")),
        ("new", text.gettext("new")),
    )
    return dict(labels).get(direction, direction)
