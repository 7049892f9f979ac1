"""The reports' font: one family that covers Latin and Chinese (Noto Sans CJK SC by default, from the
Debian package ``fonts-noto-cjk``; the ``report_font_family`` setting), found through fontconfig, the same
way WeasyPrint and the chart renderer find it. Nothing is downloaded.

A report is refused, before anything is written, when a character of its text is not in the font's
character map (:func:`check_glyphs`): a missing glyph would otherwise print as an empty box or silently
come from another font.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from iprisk.errors import InvalidInput, NotFound, Problem
from iprisk.settings import get_settings

#: Characters that are layout, not glyphs: line breaks and tabs never reach the page as glyphs.
_LAYOUT = frozenset("\n\r\t")
#: Missing characters listed in an error, at most.
_MAX_LISTED = 20


class MissingGlyphs(InvalidInput):
    """The report's text holds characters its font cannot draw; each problem names one and where it is."""


@dataclass(frozen=True)
class FontFace:
    """One face of the family: its file and its index in a font collection (``.ttc``)."""

    family: str
    path: Path
    index: int
    bold: bool


@cache
def report_fonts(family: str | None = None) -> tuple[FontFace, FontFace]:
    """The regular and bold faces of ``family`` (default: the ``report_font_family`` setting).

    Raises NotFound when fontconfig does not know the family (install ``fonts-noto-cjk``, or set
    ``IPRISK_REPORT_FONT_FAMILY`` to an installed family that covers Chinese).
    """
    name = family or get_settings().report_font_family
    return _match(name, bold=False), _match(name, bold=True)


def _match(family: str, *, bold: bool) -> FontFace:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise NotFound("program", "fc-match (fontconfig), needed to find the report font")
    pattern = f"{family}:weight={'bold' if bold else 'regular'}"
    found = subprocess.run(
        [fc_match, "--format=%{file}|%{index}|%{family}", pattern],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    parts = found.split("|")
    families = {f.strip().lower() for f in parts[-1].split(",")} if len(parts) == 3 else set()
    if family.lower() not in families:
        raise NotFound(
            "font family",
            f"{family!r} (fontconfig offers {found or 'nothing'}; install fonts-noto-cjk or set "
            "IPRISK_REPORT_FONT_FAMILY)",
        )
    return FontFace(family, Path(parts[0]), int(parts[1]), bold)


@cache
def coverage(face: FontFace) -> frozenset[int]:
    """The code points the face has glyphs for (its best character map)."""
    from fontTools.ttLib import TTCollection, TTFont

    if face.path.suffix.lower() in (".ttc", ".otc"):
        collection = TTCollection(str(face.path), lazy=True)
        try:
            return frozenset(collection.fonts[face.index].getBestCmap())
        finally:
            collection.close()
    with TTFont(str(face.path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def check_glyphs(texts: Iterable[tuple[str, str]], family: str | None = None) -> None:
    """Raise :class:`MissingGlyphs` when a character of the ``(where, text)`` pairs is missing from the
    regular or the bold face of the report font."""
    faces = report_fonts(family)
    drawable = coverage(faces[0]) & coverage(faces[1])
    missing: dict[str, str] = {}
    for where, text in texts:
        for char in text:
            if char not in _LAYOUT and ord(char) not in drawable and char not in missing:
                missing[char] = where
    if missing:
        problems = [
            Problem(
                "missing-glyph",
                f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')} is not in the font {faces[0].family}",
                column=where,
                value=c,
            )
            for c, where in list(missing.items())[:_MAX_LISTED]
        ]
        raise MissingGlyphs(problems, source="report text", total=len(missing))
