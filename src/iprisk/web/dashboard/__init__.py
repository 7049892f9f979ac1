"""The dashboard: the node's pages for people (``/ui``), server-rendered in English and Chinese.

Jinja2 templates, charts rendered on the server to SVG (Altair + vl-convert), a style sheet shipped in the
package and no script at all; filters live in the URL, a click on a chart mark or a table cell drills down.
Every page and every export names its action of the one authorisation table (:mod:`iprisk.accounts`); a
person logs in with a password (session cookie, CSRF on every form), a program may use its API token. See
``docs/dashboard.md``.
"""

from iprisk.web.dashboard.routes import NAVIGATION, router

# isort: split
from iprisk.web.dashboard import referral_pages, targeting_pages, warning_pages  # noqa: F401  (their pages, after the others)

__all__ = ["NAVIGATION", "router"]
