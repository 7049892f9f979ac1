"""The PDFs: the same numbers in English and Chinese, fonts embedded and covering every character, page
furniture, and the same bytes for the same document (creation dates aside)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from iprisk.reports import check_glyphs
from iprisk.reports.fonts import coverage, report_fonts
from iprisk.reports.pdf import pdf_bytes
from tests.reports.conftest import Built

#: Page furniture (running header, footer with page numbers) lies in the margins: 22 mm top, 20 mm bottom.
_TOP, _BOTTOM = 842 - 22 / 25.4 * 72, 20 / 25.4 * 72
_QUARTER_ZH = {"一": "1", "二": "2", "三": "3", "四": "4"}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def body_text(path: Path, first_page: int = 0) -> str:
    """The text of the pages from ``first_page`` on, without the header and footer."""
    chunks: list[str] = []
    for page in PdfReader(path).pages[first_page:]:

        def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5]
            if _BOTTOM < y < _TOP:
                chunks.append(text)

        page.extract_text(visitor_text=visit)
        chunks.append("\n")
    return "".join(chunks)


def normalise(text: str) -> Counter[str]:
    """The numbers of a page's text, in a form both languages share: quarters and dates as ISO tokens, large
    amounts expanded (``1.92 million`` and ``192万`` both ``1920000``), grouping dropped, precision kept."""
    text = re.sub(r"\b[0-9a-f]{8,64}\b", " ", text)  # content hashes
    text = re.sub(r"(\d{4})Q([1-4])", r" Q\1-\2 ", text)
    text = re.sub(r"(\d{4})年第([一二三四])季度", lambda m: f" Q{m[1]}-{_QUARTER_ZH[m[2]]} ", text)
    text = re.sub(r"(\d{4})年([1-4])季度", r" Q\1-\2 ", text)
    text = re.sub(
        r"\b([A-Z][a-z]{2}) (\d{1,2}), (\d{4})", lambda m: f" D{m[3]}-{_MONTHS[m[1]]}-{m[2]} ", text
    )
    text = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})日", lambda m: f" D{m[1]}-{int(m[2])}-{m[3]} ", text)
    tokens: Counter[str] = Counter(re.findall(r"[QD]\d{4}-\d+(?:-\d+)?", text))
    text = re.sub(r"[QD]\d{4}-\d+(?:-\d+)?", " ", text)
    scale = {"million": 10**6, "billion": 10**9, "万": 10**4, "亿": 10**8}
    for number, unit in re.findall(r"([+-]?\d[\d,]*(?:\.\d+)?)\s?(million|billion|万|亿)?", text):
        value = Decimal(number.replace(",", ""))
        # a large amount is rounded to three digits in both languages: a whole number once expanded
        tokens[str(int(value * scale[unit])) if unit else str(value)] += 1
    return Counter({k: v for k, v in tokens.items()})


@pytest.mark.parametrize(("kind", "first_page"), [("annual", 1), ("newsletter", 0), ("state-of-play", 0)])
def test_every_number_of_the_english_pdf_is_in_the_chinese_one(
    built: Built, kind: str, first_page: int
) -> None:
    """The contents page is left out: its page numbers differ as the two languages paginate apart."""
    en = normalise(body_text(built.file(kind, "en", ".pdf"), first_page))
    zh = normalise(body_text(built.file(kind, "zh", ".pdf"), first_page))
    assert sum(en.values()) > 100
    assert en == zh, {"en only": en - zh, "zh only": zh - en}


def test_the_normaliser_reads_both_languages_alike() -> None:
    assert normalise("2,601 cases in 2016Q3: 1.92 million articles, +0.6 %, due Feb 14, 2017") == normalise(
        "2016年第三季度案件2,601起：物品192万件，+0.6%，截止2017年2月14日"
    )
    assert normalise("0.50") != normalise("0.5")  # the same precision, not only the same value


@pytest.mark.parametrize("kind", ["annual", "newsletter", "state-of-play"])
def test_fonts_are_embedded_and_cover_every_character(built: Built, kind: str) -> None:
    family = report_fonts()[0].family.replace(" ", "-")
    drawable = coverage(report_fonts()[0]) & coverage(report_fonts()[1])
    for locale in ("en", "zh"):
        reader = PdfReader(built.file(kind, locale, ".pdf"))
        fonts = {}
        for page in reader.pages:
            for font in (page["/Resources"].get("/Font") or {}).values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                descriptor = descendant["/FontDescriptor"].get_object()
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                fonts[str(font["/BaseFont"])] = embedded
        assert fonts and all(fonts.values()), fonts  # every font embedded
        # subsets of the report font only: nothing fell back to another font
        assert all(name.split("+", 1)[1].startswith(family) for name in fonts), fonts
        text = "".join(page.extract_text() for page in reader.pages)
        missing = {c for c in text if not c.isspace() and ord(c) not in drawable}
        assert missing == set(), (locale, missing)
        check_glyphs([(kind, text)])


def test_pages_carry_the_period_the_snapshot_the_code_version_and_numbers(built: Built) -> None:
    reader = PdfReader(built.file("annual", "zh", ".pdf"))
    n = len(reader.pages)
    last = reader.pages[-1].extract_text()
    snapshot = built.inputs.snapshot.short
    assert f"第{n}页，共{n}页" in last and f"数据快照 {snapshot}" in last and "iprisk" in last
    assert "2016年" in reader.pages[1].extract_text()  # the running header names the period
    title, sections = reader.outline[:2]
    assert title.title == "2016年联合风险分析报告"  # bookmarks: the title, then its sections
    assert [s.title for s in sections[:3]] == ["目录", "1 主要变化", "2 趋势"]
    contents = reader.pages[0].extract_text()
    assert "目录" in contents and "1 主要变化" in contents


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_newsletter_takes_two_to_four_pages(built: Built, locale: str) -> None:
    """The issue's format for port officers: general risk information on two to four pages."""
    assert 2 <= len(PdfReader(built.file("newsletter", locale, ".pdf")).pages) <= 4


def test_one_page_of_each_kind_is_kept_to_look_at(built: Built) -> None:
    pages = sorted(p.name for p in built.pages.glob("*.png"))
    assert pages == sorted(
        f"{k}.{loc}.png" for k in ("annual", "newsletter", "state-of-play") for loc in ("en", "zh")
    )
    print(f"\nrendered pages: {built.pages}")


def test_the_same_page_gives_the_same_pdf_but_for_its_dates(built: Built) -> None:
    html = built.file("newsletter", "en", ".html").read_text(encoding="utf-8")

    def normalised(pdf: bytes) -> bytes:
        return re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", rb"/\1 ()", pdf)

    first = normalised(pdf_bytes(html))
    assert first == normalised(built.file("newsletter", "en", ".pdf").read_bytes())
    assert first.startswith(b"%PDF-")
