"""The dashboard's menu: each page, its label and the action of the table it needs (an entry is shown only to
the roles that may open it)."""

from __future__ import annotations

from typing import Any

from iprisk.i18n import N_

#: (path, label, action) of every page, in menu order.
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("/ui/", N_("Overview"), "analysis.read"),
    ("/ui/trends", N_("Trends"), "analysis.read"),
    ("/ui/signals", N_("Emerging risks"), "analysis.read"),
    ("/ui/lanes", N_("Lanes"), "analysis.read"),
    ("/ui/submissions", N_("Submissions"), "submissions.read"),
    ("/ui/profiles", N_("Profiles"), "profiles.read"),
    ("/ui/reports", N_("Reports"), "analysis.read"),
    ("/ui/referrals", N_("Referrals"), "referrals.read"),
    ("/ui/targeting", N_("Targeting"), "analysis.read"),
)


def nav_entries(viewer: Any) -> list[tuple[str, str]]:
    """(path, label in the viewer's language) of the pages the viewer may open."""
    # the trends and the reports cover every port: an account limited to ports sees what names its ports
    hidden = {"/ui/trends", "/ui/reports"} if viewer.grant.ports() is not None else set()
    return [
        (path, viewer.text.gettext(label))
        for path, label, action in NAVIGATION
        if viewer.may(action) and path not in hidden
    ]
