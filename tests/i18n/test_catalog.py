"""Every message the code shows people has a Chinese translation with the same placeholders, and the
catalog holds no message the code no longer uses."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from iprisk.i18n import KEYWORDS, LOCALES, Text, load_catalog, translate, translate_plural

SRC = Path(__file__).resolve().parents[2] / "src" / "iprisk"


@cache
def _used() -> dict[str, str | tuple[str, ...]]:
    """The messages of the code, extracted once by the test process that runs these tests (at import, each
    test process paid for it while collecting: 0.8 s of CPU)."""
    # the dashboard's templates call gettext("...") too (Jinja2's extractor)
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = extract_from_dir(str(SRC), method_map=method_map, keywords=KEYWORDS)
    return {m if isinstance(m, str) else m[0]: m for _, _, m, _, _ in found}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_code_uses_messages() -> None:
    assert len(_used()) > 50  # the extraction sees the reports' messages (a broken keyword list finds none)
    assert "Joint analysis of IPR detentions, {start} to {end}" in _used()


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_every_message_is_translated_with_the_same_placeholders(locale: str) -> None:
    catalog = load_catalog(locale)
    problems = []
    for key, message in _used().items():
        entry = catalog.get(key)
        if entry is None or entry.fuzzy or not entry.string or not all(entry.string):
            problems.append(f"not translated: {key!r}")
            continue
        ids = (message,) if isinstance(message, str) else message
        strings = (entry.string,) if isinstance(entry.string, str) else entry.string
        expected = set().union(*(_fields(i) for i in ids))
        for s in strings:
            if _fields(s) != expected:
                problems.append(f"placeholders differ: {key!r} -> {s!r}")
    assert problems == []


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_the_catalog_holds_no_stale_message(locale: str) -> None:
    stale = [
        m.id
        for m in load_catalog(locale)
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in _used()
    ]
    assert stale == []


def test_translate_fills_placeholders_after_translating() -> None:
    assert (
        translate("{lane} ({cases} cases)", "en", lane="CNSHA -> NLRTM", cases=3)
        == "CNSHA -> NLRTM (3 cases)"
    )
    assert (
        translate("{lane} ({cases} cases)", "zh", lane="CNSHA -> NLRTM", cases=3) == "CNSHA -> NLRTM（3起）"
    )
    assert translate("a message nobody wrote", "zh") == "a message nobody wrote"  # falls back to English
    one = (
        "{n} signal over the period (false-discovery rate controlled per quarter); in {end}: {up} up, "
        "{down} down, {new} new."
    )
    many = one.replace("{n} signal ", "{n} signals ")
    facts = dict(end="2016Q3", up=1, down=0, new=0)
    assert translate_plural(one, many, 1, "en", **facts).startswith("1 signal over")
    assert translate_plural(one, many, 2, "en", **facts).startswith("2 signals over")
    assert translate_plural(one, many, 2, "zh", **facts).startswith("本期共有2个信号")


def test_text_joins_lists_the_way_each_language_does() -> None:
    assert Text("en").join(["a", "b", "c"]) == "a, b, c"
    assert Text("zh").join(["a", "b", "c"]) == "a、b、c"
    assert Text("zh").join([]) == ""
