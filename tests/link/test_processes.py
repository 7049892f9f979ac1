"""Two REAL nodes: ``iprisk serve`` for the EU and for CN, each a process with its own database, warehouse
and keys, on loopback; the operator's commands are ``iprisk`` processes.

* the kill runs on SQLite and on PostgreSQL: applying each message once across a crash rests on each
  database's transactions;
* the world's exchange runs once, on PostgreSQL (on SQLite where no server is configured): what crosses is
  the same on both databases, and its SQLite path is tested in one process (tests/link/test_stats.py,
  test_profiles.py, test_referral_sync.py, test_reconcile.py); SQLite under nodes and commands in their
  own processes is tested by the kill. It cost 90 s on SQLite beside 108 s on PostgreSQL in CI.

* a simulated world's quarterly statistics, submitted at the node of each side, a joint profile approved
  by both sides and activated, and a referral sent from Shanghai and acknowledged at Rotterdam (``iprisk
  referrals`` at each node), cross; ``iprisk exchange reconcile`` finds no difference;
* the receiving node is killed (SIGKILL) in the middle of a delivery of 1,000 messages and restarted: every
  message is delivered, and applied once.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from iprisk.errors import InvalidTransition, NotFound
from iprisk.link import Link, add_peer, reconcile
from iprisk.link.probe import send_probes
from iprisk.simulate import simulate
from iprisk.warehouse import Warehouse
from tests.link.processes import POSTGRES_URL, NodeProcess, wait_for
from tests.profiles.samples import profile
from tests.referrals.conftest import warning_data

pytestmark = pytest.mark.slow  # 40 to 110 s each in CI

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="no PostgreSQL server: set IPRISK_TEST_POSTGRES_URL (CI does)"
        ),
    ),
]
#: The backend of the world's exchange (see above).
WORLD_BACKEND = "postgresql" if POSTGRES_URL else "sqlite"
# by kind: the nodes also exchange their audit checkpoints and cosignatures meanwhile
_OUT = "SELECT count(*) FROM channel_outgoing WHERE status = '{}' AND kind = '{}'"
_IN = "SELECT count(*) FROM channel_incoming WHERE outcome = 'accepted' AND kind = 'probe'"


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    eu = NodeProcess("EU", tmp_path / "eu", request.param)
    cn = NodeProcess("CN", tmp_path / "cn", request.param)
    try:
        yield eu, cn
    finally:
        eu.close()
        cn.close()


def _start_both(eu: NodeProcess, cn: NodeProcess) -> None:
    eu.launch()
    cn.launch()
    eu.wait_ready()
    cn.wait_ready()


def _pin_each_other(eu: NodeProcess, cn: NodeProcess) -> None:
    """``iprisk exchange peer add URL --fingerprint F`` at each node (the command, as an operator runs it)."""
    eu.cli("exchange", "peer", "add", cn.url, "--fingerprint", cn.fingerprint)
    add_peer(cn.link(), eu.url, eu.fingerprint)  # the same, as a library call


def _submit(node: NodeProcess, files: list[Path]) -> None:
    with Warehouse.open(node.settings().warehouse) as wh:
        for path in files:
            wh.submit(path)


def _state(link: Link, pid: str) -> tuple[int, str] | None:
    try:
        p = link.node.profiles.get(pid)
    except NotFound:
        return None
    return p.version, p.status


@pytest.mark.parametrize("pair", [WORLD_BACKEND], indirect=True)
def test_two_nodes_exchange_a_world_and_a_joint_profile_and_reconcile_clean(
    pair: tuple[NodeProcess, NodeProcess], tmp_path: Path
) -> None:
    eu, cn = pair
    world = tmp_path / "world"
    simulate(start="2016Q1", end="2016Q1", scale=0.002, out_dir=world, declarations=False)
    files = sorted((world / "seizures").glob("*.csv"))
    china = [f for f in files if f.name.startswith("CN_")]
    europe = [f for f in files if not f.name.startswith("CN_")]
    assert china and len(europe) > 10
    _submit(eu, europe)  # before the node runs: its worker sends what the log holds when it starts
    _start_both(eu, cn)
    _pin_each_other(eu, cn)
    _submit(cn, china)  # while the node runs: its worker finds the new version in the log
    wait_for(lambda: eu.scalar(_OUT.format("received", "stats")) == len(europe), "the EU's statistics at CN")
    wait_for(lambda: cn.scalar(_OUT.format("received", "stats")) == len(china), "CN's statistics at the EU")

    at_eu, at_cn = eu.link(), cn.link()
    at_eu.node.profiles.add(profile("J1", owner="DE", joint=True, status="proposed"), by="anna")
    at_eu.node.profiles.approve("J1", "DE", by="anna")
    wait_for(
        lambda: len(at_cn.node.profiles.history("J1")) == 2 if _state(at_cn, "J1") else False, "J1 at CN"
    )
    with pytest.raises(InvalidTransition, match="cannot activate"):
        at_cn.node.profiles.activate("J1", by="li")  # CN has not approved yet
    at_cn.node.profiles.approve("J1", "CN", by="li")
    at_cn.node.profiles.activate("J1", by="li")
    wait_for(lambda: _state(at_eu, "J1") == (1, "active"), "J1 active at the EU")
    assert _state(at_cn, "J1") == (1, "active")

    _a_referral_crosses(eu, cn, at_eu, at_cn, tmp_path)

    result = reconcile(at_cn, "EU")
    assert result.ok, result.differences
    assert (result.submissions, result.profiles, result.referrals) == (len(files), 1, 1)
    shown = eu.cli("exchange", "reconcile")  # the command: its report, exit 0
    assert f"{len(files)} submissions, 1 joint profiles, 1 referrals compared, 0 differences" in shown.stdout
    assert eu.stop() in (0, -signal.SIGTERM) and cn.stop() in (0, -signal.SIGTERM)


def _officer(
    node: NodeProcess, at: Link, name: str, port: str
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A port officer account of ``node`` made by its operator, and the command line acting as that account
    (its API token in IPRISK_TOKEN). The account and the token are made by the library calls of ``iprisk
    users add`` and ``iprisk tokens create`` (tests/cli/test_node.py runs those commands): an interpreter
    started for each cost 4-6 s of CPU, six times a run, on a machine the other test worker shares."""
    at.node.accounts.add_user(name, "port_officer", node.name, [port], by="operator")
    _, token = at.node.accounts.create_token(name, days=at.node.settings.token_days, by="operator")

    def as_officer(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return node.cli(*args, check=check, env={"IPRISK_TOKEN": token})

    return as_officer


def _a_referral_crosses(eu: NodeProcess, cn: NodeProcess, at_eu: Link, at_cn: Link, tmp_path: Path) -> None:
    """A warning drafted and sent with ``iprisk referrals`` at the CN node reaches the EU node; the officer of
    Rotterdam acknowledges it there; both nodes agree."""
    today = date.today()
    data = warning_data(
        expected_arrival=str(today + timedelta(days=20)), expiry=str(today + timedelta(days=50))
    )
    path = tmp_path / "warning.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    li = _officer(cn, at_cn, "li.wei", "CNSHA")
    drafted = li("referrals", "draft", str(path)).stdout
    rid = re.search(r"referral (\S+): drafted", drafted).group(1)  # type: ignore[union-attr]
    li("referrals", "send", rid)

    def state(link: Link) -> str | None:
        ref = link.node.referrals.find(rid)  # type: ignore[attr-defined]
        return None if ref is None else str(ref.state)

    wait_for(lambda: state(at_eu) == "received" and state(at_cn) == "received", "the warning at the EU")
    hans = _officer(eu, at_eu, "hans", "DEHAM")  # an officer of another EU port: refused, as by the API
    refused = hans("referrals", "ack", rid, check=False)
    assert refused.returncode != 0 and "NLRTM" in refused.stderr
    _officer(eu, at_eu, "jan", "NLRTM")("referrals", "ack", rid)
    wait_for(lambda: state(at_cn) == "acknowledged", "the acknowledgement at CN")
    assert state(at_eu) == "acknowledged"


def test_the_receiver_killed_mid_delivery_of_1000_messages_gets_each_once(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    eu, cn = pair
    _start_both(eu, cn)
    _pin_each_other(eu, cn)
    eu.stop()  # the probes are queued while the EU node is down: its worker finds them all at its start
    send_probes(eu.link(), "CN", 1000)
    eu.start()
    wait_for(lambda: cn.scalar(_IN) >= 100, "a first part of the delivery")
    cn.kill()  # SIGKILL, in the middle of the delivery
    during = cn.scalar(_IN)
    assert during < 1000, "the delivery ended before the kill: nothing was tested"
    cn.start()
    wait_for(lambda: eu.scalar(_OUT.format("received", "probe")) == 1000, "every message receipted")
    assert cn.scalar(_IN) == 1000
    assert cn.scalar("SELECT count(DISTINCT id) FROM channel_incoming WHERE kind = 'probe'") == 1000
    assert eu.scalar("SELECT count(*) FROM channel_outgoing WHERE kind = 'probe'") == 1000
