"""Harmonized System codes -> product categories (the ``product_category`` code list).

The mapping is a list of prefix rules on the HS code (chapter: 2 digits, heading: 4, subheading: 6); the
longest matching prefix wins, so ``8517`` (telephones) -> ``mobile_phones`` beats chapter ``85`` ->
``electronics``, and ``851762`` (network equipment) -> ``electronics`` beats ``8517``. A code no rule matches
is ``other``. Rules follow the EU seizure-report categories as far as the HS allows; the judgement calls are
written next to each rule and in ``docs/codes.md``.

HS codes are digits; separators people write (``6109.10``, ``6109 10 00``, ``6109-10``) are ignored. Any
other character makes the code unmatched (``other``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from iprisk.codes.lists import PRODUCT_CATEGORIES
from iprisk.errors import UnknownCode

DEFAULT_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class HsRule:
    prefix: str
    category: str
    description: str


def _rules(category: str, prefixes: Sequence[str], description: str) -> list[HsRule]:
    return [HsRule(p, category, description) for p in prefixes]


def _chapters(first: int, last: int, skip: Sequence[int] = ()) -> list[str]:
    return [f"{c:02d}" for c in range(first, last + 1) if c not in skip]


_RULES: list[HsRule] = [
    # Food: chapters 02-23 (meat, fish, dairy, vegetables, fruit, coffee and tea, cereals, fats, preparations,
    # beverages and spirits, animal feed). Beverages (22) are foodstuffs, as in the EU seizure reports.
    # Not food: 01 live animals, 05 animal products n.e.s. (hair, bones), 06 live plants and flowers,
    # 14 plaiting materials; they stay "other".
    *_rules("foodstuffs", _chapters(2, 23, skip=(5, 6, 14)), "food, beverages and alcoholic drinks"),
    *_rules("tobacco", ["24"], "tobacco, cigarettes, tobacco substitutes"),
    *_rules("medicines", ["30"], "pharmaceutical products"),
    *_rules("body_care", ["33"], "perfumes, cosmetics, toiletries"),
    *_rules("body_care", ["3401"], "soap"),
    *_rules("body_care", ["8212"], "razors and razor blades"),
    *_rules("body_care", ["8510"], "electric shavers and hair clippers"),
    *_rules("body_care", ["851631", "851632"], "hair dryers and electro-thermic hair-dressing apparatus"),
    *_rules("body_care", ["960321"], "toothbrushes"),
    # Clothing: apparel (61 knitted, 62 not knitted), leather and fur apparel, and headgear (65: caps and hats
    # are worn like clothing and seized with it).
    *_rules("clothing", ["61", "62"], "apparel and clothing accessories"),
    *_rules("clothing", ["4203"], "apparel and clothing accessories of leather (incl. belts, gloves)"),
    *_rules("clothing", ["4303"], "apparel and clothing accessories of fur"),
    *_rules("clothing", ["65"], "headgear (hats, caps)"),
    *_rules("shoes", ["64"], "footwear and parts"),
    *_rules("personal_accessories", ["4202"], "bags, handbags, wallets, cases"),
    *_rules("personal_accessories", ["6601"], "umbrellas"),
    *_rules("personal_accessories", ["7113", "7114", "7115", "7116", "7117"], "jewellery, incl. imitation"),
    *_rules("personal_accessories", ["9004"], "sunglasses and spectacles"),
    *_rules("personal_accessories", ["9101", "9102"], "wrist and pocket watches"),
    *_rules("personal_accessories", ["9111", "9113"], "watch cases and watch straps"),
    # 8517: telephone sets incl. smartphones (851711-851718) and parts (851770) are "mobile phones";
    # network equipment (base stations, routers, switches: 851761, 851762, 851769) is electronics.
    *_rules("mobile_phones", ["8517"], "telephone sets, smartphones, and their parts"),
    *_rules("electronics", ["851761", "851762", "851769"], "network and transmission equipment"),
    *_rules("electronics", ["85"], "electrical machinery and equipment"),
    # Chapter 84 is mostly machinery ("other"); only computers, office machines, printers and household
    # appliances are electrical/electronic/computer equipment.
    *_rules("electronics", ["8415", "8418", "8450"], "air conditioners, refrigerators, washing machines"),
    *_rules("electronics", ["8443"], "printers, copiers, and their parts and cartridges"),
    *_rules("electronics", ["8467"], "power tools for working in the hand"),
    *_rules(
        "electronics", ["8470", "8471", "8472", "8473"], "computers, calculators, office machines, parts"
    ),
    *_rules("media", ["8523"], "discs, memory cards, game cartridges and other recorded media"),
    *_rules("toys", ["9503"], "toys, dolls, puzzles, scale models"),
    *_rules("games", ["9504"], "games, video game consoles, playing cards"),
    *_rules("sporting_articles", ["9506", "9507"], "sports equipment, fishing tackle"),
    *_rules("labels_packaging", ["3919"], "self-adhesive plastic labels and stickers"),
    *_rules("labels_packaging", ["3923"], "plastic packing articles (boxes, bags, bottles, caps)"),
    *_rules("labels_packaging", ["4819", "4821"], "paper cartons and boxes; paper labels"),
    *_rules("labels_packaging", ["5807"], "textile labels and badges"),
    *_rules("labels_packaging", ["8310"], "sign plates, name plates and emblems of base metal"),
    *_rules("vehicle_parts", ["8708"], "parts and accessories of motor vehicles"),
    *_rules("vehicle_parts", ["8714"], "parts of motorcycles and bicycles"),
    *_rules("vehicle_parts", ["4011", "4012"], "tyres"),
    *_rules("vehicle_parts", ["6813"], "brake linings and pads"),
    *_rules("vehicle_parts", ["7009"], "rear-view mirrors for vehicles and other glass mirrors"),
    *_rules("vehicle_parts", ["8409"], "engine parts"),
    *_rules("vehicle_parts", ["842123", "842131"], "oil, fuel and intake-air filters for engines"),
    *_rules("vehicle_parts", ["8511", "8512"], "ignition, starting, lighting and signalling for vehicles"),
]

HS_RULES: tuple[HsRule, ...] = tuple(sorted(_RULES, key=lambda r: r.prefix))
"""Every rule, ordered by prefix, with the reason it is there (used to generate the docs table)."""

HS_CATEGORY_RULES: Mapping[str, str] = MappingProxyType({r.prefix: r.category for r in HS_RULES})
"""HS prefix -> product category, ordered by prefix; the longest prefix that matches a code wins."""


def _check_rules() -> None:
    prefixes = [r.prefix for r in _RULES]
    duplicates = {p for p in prefixes if prefixes.count(p) > 1}
    if duplicates:
        raise ValueError(f"duplicate HS prefixes: {sorted(duplicates)}")
    for rule in _RULES:
        if not (rule.prefix.isdigit() and len(rule.prefix) in (2, 4, 6)):
            raise ValueError(f"HS prefix must be 2, 4 or 6 digits: {rule.prefix!r}")
        if rule.category not in PRODUCT_CATEGORIES:
            raise ValueError(f"HS rule {rule.prefix}: unknown product category {rule.category!r}")


_check_rules()

# Longest first, so the first match is the longest one.
_LENGTHS: tuple[int, ...] = tuple(sorted({len(p) for p in HS_CATEGORY_RULES}, reverse=True))


@cache
def _rule_arrays(n: int) -> tuple[pa.Array, pa.Array]:
    """(prefixes, categories) of the rules of length ``n``; built on first use (pa.array imports pandas)."""
    rules = [(p, c) for p, c in HS_CATEGORY_RULES.items() if len(p) == n]
    return pa.array([p for p, _ in rules], pa.string()), pa.array([c for _, c in rules], pa.string())


# Spelled out rather than \s: Python's \s is Unicode-aware, RE2's (pyarrow) is not; both must agree.
_SEPARATORS_PATTERN = "[ \t\n\r\f\v.\\-]"
_SEPARATORS = re.compile(_SEPARATORS_PATTERN)


def normalise_hs(code: str) -> str:
    """``code`` without the separators people write (spaces, dots, hyphens): ``"6109.10"`` -> ``"610910"``."""
    return _SEPARATORS.sub("", code)


@lru_cache(maxsize=8192)
def category_for_hs(hs_code: str) -> str:
    """The product category of an HS code (any length), ``"other"`` when no rule matches."""
    code = normalise_hs(hs_code)
    for n in _LENGTHS:
        # code[:n] of a shorter code is shorter than n, so it cannot equal a rule of length n
        category = HS_CATEGORY_RULES.get(code[:n])
        if category is not None:
            return category
    return DEFAULT_CATEGORY


def _as_string_array(codes: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    """A pyarrow string array of the codes; refuses numbers, which have lost their leading zeros (0201)."""
    if not isinstance(codes, pa.Array | pa.ChunkedArray):
        return pa.array(codes, pa.string())
    value_type = codes.type.value_type if pa.types.is_dictionary(codes.type) else codes.type
    if not (
        pa.types.is_string(value_type)
        or pa.types.is_large_string(value_type)
        or pa.types.is_string_view(value_type)
        or pa.types.is_null(value_type)
    ):
        raise TypeError(
            f"HS codes must be strings, not {codes.type} (numbers lose leading zeros: 0201 -> 201)"
        )
    return codes.cast(pa.string()) if codes.type != pa.string() else codes


def categories_for_hs(codes: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`category_for_hs`: one category per code, computed with pyarrow kernels.

    For each rule length (6, 4, 2) it cuts that prefix from every code and looks it up among the rules of
    that length; the first (longest) hit wins, ``"other"`` otherwise. Nulls stay null. Returns a string
    array (a ChunkedArray when given one).
    """
    arr = _as_string_array(codes)
    code = pc.replace_substring_regex(arr, _SEPARATORS_PATTERN, "")
    result = None
    for n in _LENGTHS:
        prefixes, categories = _rule_arrays(n)
        index = pc.index_in(pc.utf8_slice_codeunits(code, 0, n), value_set=prefixes)
        # a code shorter than n gives a prefix shorter than n, which no rule of length n equals
        found = pc.take(categories, index)
        result = found if result is None else pc.coalesce(result, found)
    category = pc.coalesce(result, pa.scalar(DEFAULT_CATEGORY))
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), category)


def hs_chapter(code: str) -> str:
    """The 2-digit HS chapter of a code (``"6109.10"`` -> ``"61"``).

    Raises :class:`~iprisk.errors.UnknownCode` when the code does not start with a chapter 01-99.
    """
    digits = normalise_hs(code)
    chapter = digits[:2]
    if len(chapter) != 2 or not chapter.isascii() or not chapter.isdigit() or chapter == "00":
        raise UnknownCode("hs_chapter", code)
    return chapter


def hs_chapters(codes: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`hs_chapter`; codes without a valid chapter (and nulls) give null, not an error."""
    arr = _as_string_array(codes)
    chapter = pc.utf8_slice_codeunits(pc.replace_substring_regex(arr, _SEPARATORS_PATTERN, ""), 0, 2)
    valid = pc.and_(pc.match_substring_regex(chapter, r"^[0-9]{2}$"), pc.not_equal(chapter, "00"))
    return pc.if_else(valid, chapter, pa.scalar(None, pa.string()))
