"""A node with a real analysis folder (a small simulated world analysed), and people logged in per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import ibis
import pytest
from fastapi.testclient import TestClient

from iprisk.accounts import Role
from iprisk.analysis import analyse
from iprisk.formats.referrals import read_warning
from iprisk.node import Node
from iprisk.referrals import incoming
from iprisk.reports import write_analysis
from iprisk.store import ReferralStore
from tests.analysis.worlds import canonical_lines, make_world, trade_table
from tests.conftest import fresh_database
from tests.referrals.conftest import warning_data
from tests.web.conftest import LiveNode, start

PASSWORD = "correct horse battery staple"
#: The account name of each role's person (as tests/web/conftest.py names them).
NAMES = {role: role.value.replace("_", "-") for role in Role}
SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "seizures" / "DE_2016Q3.csv"


@pytest.fixture(scope="session")
def analysis_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``iprisk analyse --out`` of a small world with a planted signal (tables and summaries)."""
    world = make_world(7, n_cells=80, n_quarters=12, planted=1)
    result = analyse(ibis.memtable(canonical_lines(world)), ibis.memtable(trade_table(world)))
    folder = tmp_path_factory.mktemp("analysis")
    write_analysis(result, folder, charts=False)
    return folder


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small targeting model (``iprisk targeting fit`` output) trained on synthetic declarations (their
    canonical columns: what ``read_declarations`` gives the page without a mapping)."""
    from iprisk.targeting import LightGBMScorer
    from tests.targeting.synthetic import declarations

    folder = tmp_path_factory.mktemp("model")
    train = declarations(800, seed=3).drop(columns=["process_type", "tax_rate"])
    # 31 leaves of >= 20 rows (not the default 7 of >= 200): 800 rows hold too few leaves of 200 for the
    # browser test's ranking, whose top line must fall on the file's last day
    scorer = LightGBMScorer(n_estimators=20, num_leaves=31, min_child_samples=20)
    scorer.fit(train, "infringement").save(folder)
    return folder


def _with_passwords(node: LiveNode) -> LiveNode:
    accounts = node.node.accounts
    for role in Role:
        accounts.set_password(_name(node, role), PASSWORD, by="test")
    return node


def _name(node: LiveNode, role: Role) -> str:
    return node.init.operator if role is Role.OPERATOR else NAMES[role]


#: Referrals the node holds, received from China: one for the officer's port (NLRTM) whose acknowledgement is
#: overdue, one for another port (DEHAM) sent three hours ago.
MINE, OTHER = "0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e", "1b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e"


def receive_referrals(node: Node) -> None:
    """``MINE`` and ``OTHER`` received on ``node``, as the channel's handler stores them."""
    store = ReferralStore(node.engine)
    now = node.clock.now()
    for referral_id, port, age in ((MINE, "NLRTM", timedelta(days=10)), (OTHER, "DEHAM", timedelta(hours=3))):
        data = warning_data(id=referral_id, receiving_port=port, arrival_port=port, expiry="2099-01-01")
        store.add(*incoming(read_warning(data), now - age, now - age + timedelta(minutes=1)))


def _with_referrals(live: LiveNode) -> LiveNode:
    receive_referrals(live.node)
    return live


def _serving(folder: Path, analysis_folder: Path, model: Path) -> Iterator[LiveNode]:
    with fresh_database("sqlite", folder) as url:
        node = start(folder, url)
        node.node.settings.analysis_folder = analysis_folder
        node.node.settings.targeting_model = model
        node.node.settings.dashboard_prerender = False  # pages draw what they show (test_prerender warms)
        with node.client:
            yield _with_referrals(_with_passwords(node))


@pytest.fixture
def dash(tmp_path: Path, analysis_folder: Path, model_folder: Path) -> Iterator[LiveNode]:
    """An EU node on SQLite serving ``analysis_folder``, every role with a password (for a test that changes
    what the node holds)."""
    yield from _serving(tmp_path, analysis_folder, model_folder)


@pytest.fixture(scope="module")
def shown(
    tmp_path_factory: pytest.TempPathFactory, analysis_folder: Path, model_folder: Path
) -> Iterator[LiveNode]:
    """The same node, shared by the tests of a module that only read (a node takes seconds to set up)."""
    yield from _serving(tmp_path_factory.mktemp("node"), analysis_folder, model_folder)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(node: LiveNode, role: Role) -> TestClient:
    """A browser-like client of the node, logged in as ``role``'s person (session and CSRF cookies set)."""
    client = TestClient(node.client.app, headers={"Accept": "text/html"})
    page = client.get("/ui/login")
    answer = client.post(
        "/ui/login",
        data={"user": _name(node, role), "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client
