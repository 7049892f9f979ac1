"""The dashboard in a real browser: Playwright drives the system's Chromium against ``iprisk serve`` started
by the test on 127.0.0.1. Login, a filter in the URL, a drill-down click on a chart, an export download, the
language switch; no console error and no failed request on any page; screenshots in both languages.

Skipped only when Chromium is missing on a developer's machine; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iprisk.node import Node
from iprisk.settings import Settings
from tests.targeting.synthetic import declarations
from tests.web.dashboard.conftest import MINE, PASSWORD, receive_referrals
from tests.web.test_serve import start_node, stop_node

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_PAGES = ("/ui/", "/ui/trends", "/ui/signals", "/ui/submissions", "/ui/lanes", "/ui/referrals",
                    f"/ui/referrals/{MINE}", "/ui/targeting", "/ui/warning")  # fmt: skip


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs the Debian package chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} on this machine (apt-get install chromium)")


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, analysis_folder: Path, model_folder: Path
) -> Iterator[str]:
    """``iprisk serve`` on a node with an analyst ``ana`` and a port officer ``piet`` of NLRTM (passwords
    set), serving a copy of ``analysis_folder`` and scoring with ``model_folder``; two referrals received."""
    _need_chromium()
    folder = tmp_path_factory.mktemp("served")
    shutil.copytree(analysis_folder, folder / "analysis")
    env = {
        "IPRISK_NODE": "EU", "IPRISK_DATABASE": f"sqlite:///{folder / 'ops.sqlite'}",
        "IPRISK_KEY_FOLDER": str(folder / "keys"), "IPRISK_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "IPRISK_ANALYSIS_FOLDER": str(folder / "analysis"), "IPRISK_TARGETING_MODEL": str(model_folder),
        "IPRISK_DASHBOARD_PRERENDER": "false",  # pages draw their charts (test_prerender tests the warmer)
    }  # fmt: skip
    subprocess.run([sys.executable, "-m", "iprisk", "node", "init"], env={**os.environ, **env}, cwd=folder,
                   check=True, capture_output=True)  # fmt: skip
    settings = Settings(
        node="EU",
        database=env["IPRISK_DATABASE"],
        key_folder=folder / "keys",
        warehouse=env["IPRISK_WAREHOUSE"],
    )
    with Node.open(settings) as node:
        node.accounts.add_user("ana", "analyst", "EU", (), by="test")
        node.accounts.set_password("ana", PASSWORD, by="test")
        node.accounts.add_user("piet", "port_officer", "EU", ("NLRTM",), by="test")
        node.accounts.set_password("piet", PASSWORD, by="test")
        receive_referrals(node)
    served_node = start_node(env, folder)
    try:
        yield served_node.url
    finally:
        stop_node(served_node)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


class _Watch:
    """Console errors and failed requests of a page (a CSP refusal shows as a console error)."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))


def test_login_filter_drill_down_export_and_language(served: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    watch = _Watch(page)
    page.goto(f"{served}/ui/lanes")
    assert "/ui/login" in page.url  # not logged in: the login page, and back to the lanes after it
    page.fill("#user", "ana")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_url(f"{served}/ui/lanes")

    page.goto(f"{served}/ui/trends?dimension=transport_mode&metric=articles")
    assert page.input_value("#dimension") == "transport_mode" and page.input_value("#metric") == "articles"
    page.select_option("#dimension", "ipr_type")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(re.escape(served) + r"/ui/trends\?dimension=ipr_type.*"))
    assert page.locator("table.data thead th").nth(1).inner_text() == "IPR type"
    page.locator("svg.chart a").last.click()  # a point of the chart (its tooltip: test_routes.py)
    page.wait_for_url(re.compile(re.escape(served) + r"/ui/trends\?.*quarter=.*"))
    assert page.locator("table.data tbody tr").count() == 1  # the row behind the point

    page.goto(f"{served}/ui/lanes")
    shown = page.locator("table.data tbody tr").count()
    with page.expect_download() as download:
        page.click("text=CSV")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) - 1 == shown > 0

    page.click("text=中文")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("nav a").first.inner_text() == "概览"
    page.goto(f"{served}/ui/signals")  # the language cookie keeps Chinese
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert watch.problems == []
    context.close()


def _log_in(page: Any, served: str, user: str) -> None:
    page.goto(f"{served}/ui/login")
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.click("form.login button")
    page.wait_for_url(f"{served}/ui/")


def test_an_officer_acknowledges_a_referral_and_an_analyst_scores_a_file(
    served: str, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    watch = _Watch(page)
    _log_in(page, served, "piet")
    page.click("nav >> text=Referrals")
    assert page.locator("table.data tbody tr").count() == 1  # the referral of NLRTM, not that of DEHAM
    page.click(f"text={MINE}")
    page.fill("#note", "scan on arrival")
    page.click("#acknowledge button")
    page.wait_for_url(f"{served}/ui/referrals/{MINE}")
    assert "scan on arrival" in page.locator("table.data tbody").inner_text()
    page.select_option("#result", "seized")  # a seizure without its articles: refused beside the field
    page.click("#feedback button")
    assert page.locator("#problem-result").count() == 1
    assert page.get_attribute("#result", "aria-invalid") == "true"
    context.close()

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _log_in(page, served, "ana")
    week = tmp_path / "week.csv"
    declarations(120, seed=4, start="2026-11-02", days=2).to_csv(week, index=False)
    page.goto(f"{served}/ui/targeting")
    page.set_input_files("#file", str(week))
    page.click("form.upload button")
    page.wait_for_url(re.compile(re.escape(served) + r"/ui/targeting\?list=.*"))
    first = page.locator("table.data tbody tr").first  # the day's most suspicious line
    assert first.locator("th").inner_text() == "1" and "D4-" in first.inner_text()
    # the one refused request is the feedback without its articles (422, and the console's note of it)
    assert watch.problems and all("422" in problem for problem in watch.problems), watch.problems
    context.close()


def test_every_page_loads_cleanly_and_is_photographed_in_both_languages(
    served: str, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = _Watch(page)
    _log_in(page, served, "ana")
    for path in ("/ui/", "/ui/trends", "/ui/signals", "/ui/lanes", "/ui/submissions", "/ui/profiles",
                 "/ui/reports", "/ui/referrals", "/ui/referrals/kpis", f"/ui/referrals/{MINE}",
                 "/ui/targeting", "/ui/warning"):  # fmt: skip
        for lang in ("en", "zh"):
            page.goto(f"{served}{path}?lang={lang}")
            assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
            if path in SCREENSHOT_PAGES:
                name = path.removeprefix("/ui/").strip("/").replace("/", "-") or "overview"
                page.screenshot(path=str(shots / f"{name}.{lang}.png"), full_page=True)
    assert watch.problems == [], watch.problems
    assert len(list(shots.glob("*.png"))) == 2 * len(SCREENSHOT_PAGES)
    print(f"screenshots: {shots}")
    context.close()
