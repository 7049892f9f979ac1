"""Message catalogs: every fixed string people read, translated with gettext ``.po`` files read by Babel.

The English text is the message id (the source language); ``locale/<lang>/LC_MESSAGES/iprisk.po`` holds the
translations, read once per process at first use (no compiled ``.mo`` step). Messages are Python format
strings with named placeholders (``{cases} cases``), filled after translation; a test checks that every
message the code uses has a Chinese translation with the same placeholders.

Code marks a message by calling :func:`translate` / :func:`translate_plural`, the ``gettext`` /
``ngettext`` methods of :class:`iprisk.i18n.Text`, the reports' ``say`` / ``rich`` or :func:`N_` with a
literal, so that the messages can be extracted (Babel's extractor, :data:`KEYWORDS`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from iprisk.i18n.locales import DEFAULT_LOCALE, check_locale

DOMAIN = "iprisk"
LOCALE_DIR = Path(__file__).with_name("locale")
#: Call names that mark a message for extraction: name -> positions of the message arguments (Babel's form).
KEYWORDS: dict[str, Any] = {
    "translate": None,
    "translate_plural": (1, 2),
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    # the reports' builders: ``ctx.say(message, ...)`` and ``rich(text, message, ...)``
    "say": None,
    "rich": (2,),
}


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined (a table of messages); translate it when used."""
    return message


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / check_locale(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def load_catalog(locale: str) -> Catalog:
    """The parsed ``.po`` catalog of a language (an empty one for English, the source language)."""
    lang = check_locale(locale)
    if lang == DEFAULT_LOCALE:
        return Catalog(locale=lang, domain=DOMAIN)
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def translate(message: str, locale: str = DEFAULT_LOCALE, /, **params: Any) -> str:
    """``message`` in ``locale``, its ``{placeholders}`` filled from ``params``.

    A message without a translation falls back to English (the test suite keeps that from happening).

    >>> translate("{n} offices detained", "en", n=3)
    '3 offices detained'
    """
    entry = load_catalog(locale).get(message)
    text = entry.string if entry is not None and entry.string and not entry.fuzzy else message
    return str(text).format(**params) if params else str(text)


def translate_plural(
    singular: str, plural: str, n: int, locale: str = DEFAULT_LOCALE, /, **params: Any
) -> str:
    """The singular or plural message for ``n`` in ``locale`` (``n`` is also a placeholder)."""
    catalog = load_catalog(locale)
    entry = catalog.get((singular, plural))
    forms = entry.string if entry is not None and not entry.fuzzy else None
    if isinstance(forms, tuple) and all(forms):
        # Chinese has one form; a two-form language takes the second for n != 1
        text = forms[0 if catalog.num_plurals == 1 or n == 1 else 1]
    else:
        text = singular if n == 1 else plural
    return str(text).format(n=n, **params)
