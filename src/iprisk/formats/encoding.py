"""Which text encoding a file that is not UTF-8 is in, told by charset-normalizer, or a refusal naming rows.

UTF-8 needs no detection (the readers try it first). Other files are decoded with each encoding the
cooperation's administrations use (GB18030 for China, the Windows code pages of the EU's languages) and each
reading is measured by charset-normalizer's mess detector. The file is read only when the readings that are
plausible all give the same text; when two give different text (a few bytes can be Chinese in GB18030 and
accented Latin in Windows-1250), or when UTF-8 lines are mixed with others, the file is refused with the
rows concerned, so that the user names the encoding (``--encoding``) instead of storing garbled text.

On a few words the mess measure cannot separate the candidates, so a reading is also dropped when one of its
words mixes scripts (``Mьller``: Latin and Cyrillic) or glues a letter to a symbol (``£ódŸ``): what a wrong
code page makes of accented or Chinese text), or when a word flips from lower to upper case inside
(``ИЁАыИЛ``: Chinese read as Cyrillic), or a Latin word has no ASCII letter (``ČØĄūČĖ``): European words
do neither.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata

from charset_normalizer.md import mess_ratio

from iprisk.errors import InvalidInput, InvalidValue, Problem

#: Encodings detection chooses from: GB18030 (a superset of GBK and GB2312) and the Windows code pages of
#: the EU's languages (Western, Central European, Baltic, Greek, Cyrillic).
CANDIDATES = ("gb18030", "cp1252", "cp1250", "cp1257", "cp1253", "cp1251")

#: Two candidates whose "chaos" (charset-normalizer's measure of implausible text) differs by less than this
#: are both plausible.
_PLAUSIBLE_MARGIN = 0.05
_MAX_ROWS_NAMED = 20
_SAMPLE_BYTES = 1 << 20
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def codec_name(encoding: str) -> str:
    """The Python codec name of ``encoding`` (``latin-1`` -> ``iso8859-1``); InvalidValue if unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InvalidValue(f"unknown text encoding {encoding!r} (e.g. utf-8, gb18030, cp1252)") from None


# ASCII separators, and the CJK punctuation and full-width forms that separate Chinese words
_WORD_BREAK = re.compile("[\\s!-/:-@\\[-`{-~\u3000-\u303f\uff00-\uffef]+")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return "HAN" if name.startswith("CJK") else name.split(" ", 1)[0]


def consistent(text: str) -> bool:
    """No word of ``text`` reads like a wrong code page's output (see the module docstring)."""
    for word in _WORD_BREAK.split(text):
        if word.isascii():
            continue
        letters = [ch for ch in word if ch.isalpha()]
        scripts = {_script(ch) for ch in letters}
        if len(scripts) > 1:
            return False
        if scripts and any(not ch.isascii() and unicodedata.category(ch)[0] in "SPN" for ch in word):
            return False
        if _flips_case(letters):
            return False
        if scripts == {"LATIN"} and len(letters) >= 3 and not any(c.isascii() for c in letters):
            return False
    return True


def _flips_case(letters: list[str]) -> bool:
    """A lower-case letter followed by an upper-case one (``ūČ``)."""
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(letters))


def _refuse(source: str, rows: list[tuple[int, str]], total: int, message: str) -> InvalidInput:
    problems = [
        Problem("encoding", message, row, None, value, source) for row, value in rows[:_MAX_ROWS_NAMED]
    ]
    return InvalidInput(
        problems or [Problem("encoding", message, file=source)], source=source, total=max(total, 1)
    )


def _non_ascii_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(data row, line) of every line holding a byte >= 0x80; the header is row 0."""
    return [(i, line) for i, line in enumerate(_LINE_END.split(data)) if _NON_ASCII.search(line)]


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf8(line: bytes) -> bool:
    return _decodes(line, "utf-8")


def _shown(lines: list[tuple[int, bytes]], encoding: str = "utf-8") -> list[tuple[int, str]]:
    return [(i, line.decode(encoding, errors="replace")[:80]) for i, line in lines]


def detect(data: bytes, source: str) -> str:
    """The encoding of ``data`` (a whole text file that is not valid UTF-8), or InvalidInput naming rows."""
    lines = _non_ascii_lines(data)
    if not lines:
        return "utf-8"
    utf8 = [(i, line) for i, line in lines if _utf8(line)]
    other = [(i, line) for i, line in lines if not _utf8(line)]
    if utf8 and other:
        raise _refuse(
            source,
            _shown(other),
            len(other),
            f"mixed encodings: {len(utf8)} row(s) are UTF-8 (the first is row {utf8[0][0]}) and "
            f"{len(other)} are not; save the whole file in one encoding",
        )
    sampled, size = [], 0
    for i, line in other:  # the first megabyte of the lines that need decoding
        sampled.append((i, line))
        size += len(line) + 1
        if size >= _SAMPLE_BYTES:
            break
    other = sampled
    sample = b"\n".join(line for _, line in other)
    # Every candidate that decodes the sample, with charset-normalizer's measure of how implausible it reads.
    chaos = {enc: mess_ratio(sample.decode(enc)) for enc in CANDIDATES if _decodes(sample, enc)}
    if not chaos:
        raise _refuse(
            source,
            _shown(other),
            len(other),
            "not UTF-8, and neither GB18030 nor a Windows code page decodes it; "
            "save the file as UTF-8 or give its encoding",
        )
    least = min(chaos.values())
    plausible = [
        enc
        for enc in sorted(chaos, key=chaos.__getitem__)
        if chaos[enc] <= least + _PLAUSIBLE_MARGIN and consistent(sample.decode(enc, errors="replace"))
    ]
    if not plausible:
        raise _refuse(
            source,
            _shown(other),
            len(other),
            "not UTF-8, and no encoding of GB18030 or the Windows code pages reads it as consistent text; "
            "save the file as UTF-8 or give its encoding",
        )
    best = plausible[0]
    for rival in plausible[1:]:
        differing = [
            (i, line)
            for i, line in other
            if line.decode(best, errors="replace") != line.decode(rival, errors="replace")
        ]
        if differing:
            first = differing[0][1]
            raise _refuse(
                source,
                _shown(differing, best),
                len(differing),
                f"not UTF-8, and the encoding cannot be told with confidence: {best} reads "
                f"{first.decode(best, errors='replace')[:40]!r}, {rival} reads "
                f"{first.decode(rival, errors='replace')[:40]!r}; give the encoding (--encoding)",
            )
    return codec_name(best)


def undecodable_rows(data: bytes, encoding: str, source: str) -> InvalidInput:
    """The error for a file that ``encoding`` cannot decode: the rows holding the bytes it cannot read."""
    rows = []
    for i, line in _non_ascii_lines(data):
        try:
            line.decode(encoding)
        except UnicodeDecodeError as exc:
            rows.append((i, line.decode(encoding, errors="replace")[:80], exc.object[exc.start : exc.end]))
    message = f"bytes that are not {encoding} text"
    named = [(i, text) for i, text, _ in rows]
    if rows:
        message += f" (first: {rows[0][2]!r})"
    return _refuse(source, named, len(rows), message + "; save the file as UTF-8 or give its encoding")
