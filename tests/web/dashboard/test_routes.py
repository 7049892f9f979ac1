"""The dashboard's pages through FastAPI's TestClient: every page for every role, as the authorisation table
says; the language; the filters in the URL; exports equal to the view; CSRF; login and sessions."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import openpyxl
import pytest
import yaml
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from iprisk.accounts import Role, permission
from iprisk.i18n import Text
from iprisk.profiles import profiles_to_data
from iprisk.web.auth import action_of
from iprisk.web.dashboard import router, tables
from iprisk.web.dashboard.export import table_frame
from iprisk.web.dashboard.views import TrendQuery, lanes, trends
from tests.profiles.samples import profile
from tests.web.conftest import LiveNode
from tests.web.dashboard.conftest import MINE, OTHER, SAMPLE, csrf_of, login

PAGES = ("/ui/", "/ui/trends", "/ui/signals", "/ui/lanes", "/ui/submissions", "/ui/profiles", "/ui/reports",
         "/ui/referrals", "/ui/referrals/kpis", f"/ui/referrals/{MINE}", "/ui/targeting")  # fmt: skip
EXPORTS = ("overview", "trends", "signals", "lanes", "submissions", "profiles", "referrals", "referrals/kpis",
           "targeting")  # fmt: skip


def _get_routes() -> list[tuple[str, str]]:
    return [
        (route.path, action)
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods and (action := action_of(route)) is not None
    ]


def test_every_page_and_export_answers_each_role_as_the_table_says(shown: LiveNode) -> None:
    clients = {role: login(shown, role) for role in Role}
    checked = 0
    for path, action in _get_routes():
        url = path.replace("{name}", "summary.md").replace("{referral_id}", MINE)
        anonymous = shown.client.get(url, headers={"Accept": "text/html"}, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/ui/login?next=")
        assert shown.client.get(url).status_code == 401  # a program without a token
        for role, client in clients.items():
            status = client.get(url).status_code
            if role in permission(action).grants:
                assert status not in (401, 403), (url, role, status)
            else:
                assert status == 403, (url, role, status)
            checked += 1
    assert checked >= (len(PAGES) + len(EXPORTS)) * len(Role)


def test_every_page_renders_for_an_analyst_with_security_headers(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "<script" not in page.text  # no script at all, inline or not
        assert 'href="http' not in page.text and 'src="http' not in page.text  # nothing from another host


class _Words(HTMLParser):
    """The words a person reads: text and labels, outside elements marked lang="en" (names)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "meta", "link", "br", "img", "rect", "path"):
            return
        # names (lang="en") and what people wrote (translate="no": a referral's description) stay as written
        marked = dict(attrs).get("lang") == "en" or dict(attrs).get("translate") == "no"
        english = marked or bool(self.stack and self.stack[-1])
        self.stack.append(english)
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder") and value and not english:
                self.words += _english(value)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "meta", "link", "br", "img", "rect", "path") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.words += _english(data)


def _english(text: str) -> list[str]:
    """Lower-case Latin words (codes are upper case, numbers are digits)."""
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if not w.isupper() and w not in _NAMES]


#: Names written as they are in every language (the system, a file format).
_NAMES = ("iprisk", "Parquet")


@pytest.mark.parametrize("path", (*PAGES, "/ui/trends?dimension=transport_mode", "/ui/login"))
def test_a_chinese_page_has_no_english_left(shown: LiveNode, path: str) -> None:
    client = login(shown, Role.COORDINATOR)
    page = client.get(path, params={"lang": "zh"}, follow_redirects=True)
    assert page.status_code == 200 and '<html lang="zh-Hans">' in page.text
    parser = _Words()
    parser.feed(page.text)
    assert parser.words == [], f"{path}: English words on the Chinese page: {sorted(set(parser.words))[:20]}"


def test_the_language_comes_from_the_url_then_the_cookie_then_the_browser(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    assert '<html lang="en">' in client.get("/ui/referrals").text
    assert (
        '<html lang="zh-Hans">'
        in client.get("/ui/referrals", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    )
    switched = client.get("/ui/referrals?lang=zh")
    assert switched.cookies.get("iprisk_lang") == "zh"
    assert '<html lang="zh-Hans">' in client.get("/ui/lanes").text  # the cookie keeps it
    assert '<html lang="en">' in client.get("/ui/lanes?lang=en").text


def test_the_trends_filters_live_in_the_url_and_a_point_drills_down(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    page = client.get("/ui/trends?dimension=transport_mode&metric=articles").text
    links = re.findall(r'<a xlink:href="(/ui/trends\?[^"]+)"><title>([^<]+)</title>', page)
    assert links, "the chart's points carry no drill-down link or tooltip"
    drill = links[0][0].replace("&amp;", "&")
    assert "transport_mode=" in drill and "quarter=" in drill and "metric=articles" in drill
    drilled = client.get(drill).text
    assert len(re.findall(r"<tbody>.*?</tbody>", drilled, re.S)[0].split("<tr>")) - 1 == 1  # the one row
    view = trends(shown.node, _grant(shown, Role.ANALYST), TrendQuery("transport_mode", "articles"))
    assert {row[1] for row in view.rows} - {""} and all(row[1] in ("", *_codes(view)) for row in view.rows)


def _codes(view: object) -> set[str]:
    return {row[1] for row in view.rows}  # type: ignore[attr-defined]


def _grant(dash: LiveNode, role: Role):  # type: ignore[no-untyped-def]
    from iprisk.accounts import authorize

    return authorize(dash.node.accounts.authenticate(dash.tokens[role]), "analysis.read")


@pytest.mark.parametrize("name", ["lanes", "trends", "signals"])
def test_the_export_holds_exactly_the_rows_and_columns_of_the_view(shown: LiveNode, name: str) -> None:
    client = login(shown, Role.ANALYST)
    params = {"lanes": "", "trends": "dimension=product_category&metric=cases", "signals": ""}[name]
    page = client.get(f"/ui/{name}?{params}").text
    shown = len(re.findall(r"<tbody>.*?</tbody>", page, re.S)[-1].split("<tr>")) - 1
    as_csv = client.get(f"/ui/{name}/export?{params}&format=csv")
    assert as_csv.headers["content-disposition"] == f'attachment; filename="iprisk-{name}.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/ui/{name}/export?{params}&format=xlsx").content))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert len(rows) - 1 == len(sheet) - 1 == shown > 0
    assert rows[0] == list(sheet[0])
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert len(headers) == len(rows[0])


def test_a_long_table_is_paged_and_each_page_exports_as_shown(
    shown: LiveNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "PAGE_ROWS", 5)
    client = login(shown, Role.ANALYST)
    params = "dimension=product_category&metric=cases"
    view = trends(shown.node, _grant(shown, Role.ANALYST), TrendQuery("product_category", "cases"))
    assert len(view.rows) > 10
    first = client.get(f"/ui/trends?{params}").text
    assert _body_rows(first) == 5 and 'rel="prev"' not in first
    following = re.search(r'<a href="([^"]+)" rel="next">Next rows</a>', first)
    assert following is not None and "Rows 1 to 5 of" in first
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert _body_rows(second) == 5 and 'rel="prev"' in second and "Rows 6 to 10 of" in second
    chart = re.compile(r"<svg.*?</svg>", re.S)
    assert chart.findall(first) == chart.findall(second) != []  # the chart draws every row, not the page
    exported = list(csv.DictReader(io.StringIO(client.get(f"/ui/trends/export?{params}&page=2").text)))
    assert [(r["quarter"], r["product_category"]) for r in exported] == [
        (r[0], r[1]) for r in view.rows[5:10]
    ]
    for wrong in ("0", "x", "999"):  # refused, saying why
        refused = client.get(f"/ui/trends?{params}&page={wrong}")
        assert refused.status_code == 400 and "page " in refused.json()["detail"]


def _body_rows(page: str) -> int:
    return len(re.findall(r"<tbody>.*?</tbody>", page, re.S)[-1].split("<tr")) - 1


def test_the_lanes_export_equals_the_library_view(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    exported = list(csv.DictReader(io.StringIO(client.get("/ui/lanes/export?format=csv").text)))
    view = table_frame(lanes(shown.node, _grant(shown, Role.ANALYST), {}))
    assert [r["lane"] for r in exported] == list(view["lane"])
    assert [float(r["cases"]) for r in exported] == list(view["cases"])


def test_a_port_officer_sees_only_its_ports(shown: LiveNode) -> None:
    officer = login(shown, Role.PORT_OFFICER)  # bound to NLRTM
    page = officer.get("/ui/lanes").text
    lanes_shown = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', page)
    assert lanes_shown and all("NLRTM" in lane for lane in lanes_shown)
    analyst_page = login(shown, Role.ANALYST).get("/ui/lanes").text
    assert len(re.findall(r'<th scope="row">', analyst_page)) > len(lanes_shown)
    other = officer.get("/ui/lanes?lane=CNSHA%20-%3E%20DEHAM").text
    assert "DEHAM" not in re.findall(r"<tbody>.*?</tbody>", other, re.S)[-1]
    assert officer.get("/ui/trends").status_code == 404  # trends name no port
    assert officer.get("/ui/reports").status_code == 404
    assert 'href="/ui/trends"' not in page and 'href="/ui/submissions"' not in page


def test_an_officer_sees_only_its_ports_referrals_with_deadlines_and_overdue_marks(shown: LiveNode) -> None:
    officer = login(shown, Role.PORT_OFFICER)  # bound to NLRTM
    page = officer.get("/ui/referrals").text
    body = re.findall(r"<tbody>.*?</tbody>", page, re.S)[-1]
    assert MINE in body and OTHER not in body
    assert '<tr class="overdue">' in body and "acknowledgement overdue" in body  # sent ten days ago
    assert officer.get(f"/ui/referrals/{OTHER}").status_code == 403  # nor its URL
    assert officer.get("/ui/referrals/kpis").status_code == 403  # the table: no KPIs for a port officer
    exported = list(csv.DictReader(io.StringIO(officer.get("/ui/referrals/export?format=csv").text)))
    assert [r["referral"] for r in exported] == [MINE] and exported[0]["overdue"] == "acknowledgement overdue"
    coordinator = login(shown, Role.COORDINATOR)
    both = re.findall(r"<tbody>.*?</tbody>", coordinator.get("/ui/referrals").text, re.S)[-1]
    assert MINE in both and OTHER in both
    kpis = coordinator.get("/ui/referrals/kpis").text
    assert "NLRTM" in kpis and "DEHAM" in kpis
    overview = coordinator.get("/ui/?lang=zh").text
    assert Text("zh").gettext("Referrals between ports") in overview
    assert 'href="/ui/referrals/kpis"' in overview
    assert Text("zh").gettext("Referrals of your ports") in officer.get("/ui/?lang=zh").text


def test_the_officer_acknowledges_and_gives_feedback_field_by_field(dash: LiveNode) -> None:
    officer = login(dash, Role.PORT_OFFICER)
    page = officer.get(f"/ui/referrals/{MINE}").text
    assert 'id="acknowledge"' in page and 'id="feedback"' in page and "/send" not in page
    assert officer.post(f"/ui/referrals/{MINE}/acknowledge", data={"note": "x"}).status_code == 403  # no CSRF
    token = csrf_of(page)
    note = {"csrf_token": token, "note": "scan on arrival"}
    done = officer.post(f"/ui/referrals/{MINE}/acknowledge", data=note, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/ui/referrals/{MINE}"
    again = officer.post(f"/ui/referrals/{MINE}/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409 and "acknowledged already" in again.text
    bad = officer.post(f"/ui/referrals/{MINE}/feedback", data={
        "csrf_token": token, "result": "seized", "control_type": "physical", "control_date": "2026-13-01",
        "articles_detained": "0", "ipr_type_confirmed": "trademark",
    })  # fmt: skip
    assert bad.status_code == 422
    assert re.search(r'id="control_date"[^>]*value="2026-13-01"[^>]*aria-invalid="true"', bad.text)
    assert 'id="problem-control_date"' in bad.text  # beside its field
    # a rule of the whole document (a seizure needs articles detained) is shown beside the result
    seizure = {
        "csrf_token": token, "result": "seized", "control_type": "physical", "control_date": "2026-04-01",
        "articles_detained": "0", "ipr_type_confirmed": "trademark",
    }  # fmt: skip
    unfinished = officer.post(f"/ui/referrals/{MINE}/feedback", data=seizure)
    assert unfinished.status_code == 422 and 'id="problem-result"' in unfinished.text
    stored = officer.post(f"/ui/referrals/{MINE}/feedback", data={
        "csrf_token": token, "result": "seized", "control_type": "physical", "control_date": "2026-04-01",
        "articles_detained": "2400", "value_eur": "90000", "ipr_type_confirmed": "trademark",
    }, follow_redirects=False)  # fmt: skip
    assert stored.status_code == 303
    shown = officer.get(f"/ui/referrals/{MINE}?lang=zh").text
    history = re.findall(r"<tbody>.*?</tbody>", shown, re.S)[-1]
    assert history.count("<tr>") == 3 and "scan on arrival" in history  # received, acknowledged, feedback
    assert Text("zh").gettext("Feedback in force") in shown and "2,400" in shown
    api = dash.client.get(f"/referrals/{MINE}", headers=dash.headers(Role.PORT_OFFICER)).json()
    assert api["state"] == "feedback_given" and api["feedback"][0]["articles_detained"] == 2400
    assert officer.get(f"/ui/referrals/{OTHER}/feedback").status_code == 405  # steps are forms only
    refused = officer.post(f"/ui/referrals/{OTHER}/acknowledge", data={"csrf_token": token})
    assert refused.status_code == 403 and "DEHAM" in refused.text


def test_forms_refuse_a_missing_or_wrong_csrf_token(dash: LiveNode) -> None:
    client = login(dash, Role.COORDINATOR)
    assert client.post("/ui/logout").status_code == 403
    assert client.post("/ui/logout", data={"csrf_token": "forged"}).status_code == 403
    upload = client.post(
        "/ui/submissions", files={"file": ("DE_2016Q3.csv", SAMPLE.read_bytes(), "text/csv")}
    )
    assert upload.status_code == 403
    fresh = dash.client.__class__(dash.client.app)
    assert fresh.post("/ui/login", data={"user": "analyst", "password": "x"}).status_code == 403
    assert client.get("/ui/lanes").status_code == 200  # still logged in


def test_login_logout_and_a_disabled_account(dash: LiveNode) -> None:
    client = dash.client.__class__(dash.client.app, headers={"Accept": "text/html"})
    form = client.get("/ui/login?next=/ui/lanes").text
    wrong = client.post(
        "/ui/login", data={"user": "analyst", "password": "nope", "csrf_token": csrf_of(form)}
    )
    assert wrong.status_code == 401 and "Wrong account or password" in wrong.text
    good = client.post(
        "/ui/login",
        data={"user": "analyst", "password": "correct horse battery staple", "csrf_token": csrf_of(form),
              "next": "https://elsewhere.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303 and good.headers["location"] == "/ui/"  # no open redirect
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.get("/ui/lanes").status_code == 200
    page = client.get("/ui/lanes").text
    out = client.post("/ui/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/ui/lanes", follow_redirects=False).status_code == 303
    again = login(dash, Role.ANALYST)
    dash.node.accounts.disable_user("analyst", by="test")
    assert again.get("/ui/lanes", follow_redirects=False).status_code == 303
    client.cookies.set("iprisk_session", "eyJ1IjoiYW5hbHlzdCIsImV4cCI6OTk5OTk5OTk5OX0.forged")
    assert client.get("/ui/lanes", follow_redirects=False).status_code == 303


def test_failed_logins_are_refused_429_translated_for_people_problem_json_for_programs(
    shown: LiveNode,
) -> None:
    """From one address (each client its own, so that the module's other tests are not throttled): after
    login_max_failures failures the right password is refused, with Retry-After; not from another."""
    limit = shown.node.settings.login_max_failures
    person = TestClient(shown.client.app, headers={"Accept": "text/html"}, client=("192.0.2.10", 5000))
    form = csrf_of(person.get("/ui/login").text)
    for _ in range(limit):
        # failures on a name that is no account (an account's failures would throttle it for the module)
        wrong = person.post("/ui/login", data={"user": "ghost", "password": "nope", "csrf_token": form})
        assert wrong.status_code == 401
    good = {"user": "analyst", "password": "correct horse battery staple", "csrf_token": form}
    refused = person.post("/ui/login?lang=zh", data=good, follow_redirects=False)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "失败尝试次数过多" in refused.text and "Wrong account" not in refused.text
    ghost = person.post("/ui/login?lang=en", data={**good, "user": "ghost"}, follow_redirects=False)
    assert ghost.status_code == 429 and "Too many failed attempts" in ghost.text

    program = TestClient(shown.client.app, client=("192.0.2.11", 5000))
    bad = {"Authorization": "Bearer iprisk.AAAAAAAAAAA.not-the-secret"}
    for _ in range(limit):
        assert program.get("/submissions", headers=bad).status_code == 401
    token = {"Authorization": f"Bearer {shown.tokens[Role.ANALYST]}"}
    throttled = program.get("/submissions", headers=token)
    assert throttled.status_code == 429 and throttled.headers["content-type"] == "application/problem+json"
    assert throttled.json()["type"] == "urn:iprisk:error:too-many-attempts"
    assert int(throttled.headers["retry-after"]) > 0
    other = TestClient(shown.client.app, client=("192.0.2.12", 5000))
    assert other.get("/submissions", headers=token).status_code == 200


def test_an_upload_shows_every_problem_row_or_the_stored_version(dash: LiveNode) -> None:
    client = login(dash, Role.COORDINATOR)
    token = csrf_of(client.get("/ui/submissions").text)
    bad = SAMPLE.read_text(encoding="utf-8").replace("2016-07-04", "2016-13-04").replace(",4800,", ",-5,")
    refused = client.post(
        "/ui/submissions",
        data={"csrf_token": token},
        files={"file": ("DE_2016Q3.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    rows = re.findall(r"<tr><td>DE_2016Q3.csv</td><td class=\"num\">(\d+)</td><td>(\w+)</td>", refused.text)
    assert ("1", "detention_date") in rows and ("1", "articles") in rows and "/tmp" not in refused.text
    stored = client.post(
        "/ui/submissions", data={"csrf_token": token},
        files={"file": ("DE_2016Q3.csv", SAMPLE.read_bytes(), "text/csv")},
    )  # fmt: skip
    assert stored.status_code == 201 and "version 1" in stored.text
    assert '<td lang="en">coordinator</td>' in stored.text
    assert login(dash, Role.AUDITOR).get("/ui/submissions").text.count('<td lang="en">coordinator</td>') == 1


def test_profile_buttons_follow_the_table_and_take_the_step(dash: LiveNode) -> None:
    text = yaml.safe_dump(profiles_to_data([profile("P1")]), allow_unicode=True).encode("utf-8")
    dash.client.post("/profiles", files={"file": ("p.yaml", text, "application/yaml")},
                     headers=dash.headers(Role.ANALYST))  # fmt: skip
    analyst = login(dash, Role.ANALYST)
    page = analyst.get("/ui/profiles").text
    assert 'action="/ui/profiles/P1/propose"' in page and "/approve" not in page
    analyst.post("/ui/profiles/P1/propose", data={"csrf_token": csrf_of(page)})
    coordinator = login(dash, Role.COORDINATOR)
    page = coordinator.get("/ui/profiles").text
    assert 'action="/ui/profiles/P1/approve"' in page and 'action="/ui/profiles/P1/reject"' in page
    assert 'action="/ui/profiles/P1/approve"' not in login(dash, Role.ANALYST).get("/ui/profiles").text
    done = coordinator.post(
        "/ui/profiles/P1/approve", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "approved" in coordinator.get("/ui/profiles").text
    assert 'action="/ui/profiles/P1/activate"' in coordinator.get("/ui/profiles").text
    history = dash.client.get("/profiles/P1/history", headers=dash.headers(Role.AUDITOR)).json()
    assert [(h["action"], h["by"]) for h in history][-1] == ("approve", "coordinator")


def test_the_lanes_map_links_each_lane_to_its_filter_with_its_figures(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    page = client.get("/ui/lanes?lang=zh").text
    links = re.findall(r'<a xlink:href="(/ui/lanes\?lane=[^"]+)"><title>([^<]+)</title>', page)
    assert len(links) >= 5, "the map's lanes carry no filter link or tooltip"
    view = lanes(shown.node, _grant(shown, Role.ANALYST), {})
    first = view.rows[0]  # the busiest lane: its tooltip names its ports in Chinese and its cases
    href = f"/ui/lanes?lane={first[0].replace(' ', '+').replace('>', '%3E')}"
    tip = dict(links)[href]
    assert f"{int(first[1])}宗案件" in tip and "至" in tip
    filtered = client.get(href.replace("&amp;", "&")).text
    body = re.findall(r"<tbody>.*?</tbody>", filtered, re.S)[-1]
    assert body.count("<tr>") == 1 and first[0].replace(">", "&gt;") in body
    assert f'<a xlink:href="{href}" class="chosen">' in filtered  # the chosen lane is marked on the map
    assert len(re.findall(r'<a xlink:href="/ui/lanes', filtered)) == len(links)  # the map keeps every lane
    officer = login(shown, Role.PORT_OFFICER).get("/ui/lanes").text
    drawn = re.findall(r'<a xlink:href="/ui/lanes\?lane=([^"]+)">', officer)
    assert drawn and all("NLRTM" in lane for lane in drawn)


def test_a_signal_opens_the_related_signals_of_its_event(shown: LiveNode) -> None:
    client = login(shown, Role.ANALYST)
    page = client.get("/ui/signals").text
    events = re.findall(r'<th scope="row"><a href="/ui/signals\?event=([^"]+)">', page)
    assert events, "the signals' ranks do not open their event"
    busiest = max(set(events), key=events.count)
    related = client.get(f"/ui/signals?event={busiest}").text
    body = re.findall(r"<tbody>.*?</tbody>", related, re.S)[-1]
    assert body.count("<tr>") == events.count(busiest) >= 1
    assert set(re.findall(r"<td>([0-9]{4}Q[1-4]-\d+)</td>", body)) == {busiest}
    exported = list(csv.DictReader(io.StringIO(client.get(f"/ui/signals/export?event={busiest}").text)))
    assert {r["event"] for r in exported} == {busiest} and len(exported) == events.count(busiest)
    assert 'xlink:href="/ui/trends' in related  # a chart point still opens the segment's trend
