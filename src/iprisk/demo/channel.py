"""The demo's channel stage: an EU and a CN node on loopback exchange a quarter's statistics, a joint
profile and a few referrals between ports, then reconcile. Library calls only; ``iprisk demo`` prints the
result.

Each node is the real web app (:func:`iprisk.web.app.create_app`: the channel routes and the delivery worker
in the background) served by uvicorn on a loopback port, in a thread of this process, with its own keys,
operational database and warehouse under ``out/nodes/<NODE>``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from iprisk.demo.referrals import ReferralDemo, exchange_referrals
from iprisk.link import Link, Reconciliation, add_peer, reconcile
from iprisk.link.service import open_link
from iprisk.link.status import ChannelCounts, LoggedMessage, counts, message_log
from iprisk.node.init import init_node
from iprisk.profiles import Profile
from iprisk.settings import Settings
from iprisk.warehouse import Warehouse

#: the joint profile the demo's nodes agree on
JOINT = {
    "id": "JOINT-DEMO-1",
    "title": "Sports shoes from CN by sea to EU ports",
    "owner": "DE",
    "joint": True,
    "criteria": {"hs_prefixes": ["6404"], "origin_countries": ["CN"], "transport_modes": ["sea"]},
    "risk_level": 4,
    "control": "physical",
    "valid_from": "2021-01-01",
    "rationale": "Both sides see counterfeit sports shoes shipped by sea.",
}


@dataclass
class ChannelDemo:
    sent: dict[str, int]  # statistics sent by each node
    log: list[LoggedMessage]  # the EU node's message log, newest first
    counts: dict[str, ChannelCounts]
    receipts_checked: int  # outgoing messages at either node holding a verified receipt
    profile: dict[str, tuple[int, str]]  # the joint profile's version and state at each node
    reconciliation: Reconciliation
    seconds: float
    referrals: ReferralDemo | None = None  # warnings from CN ports to EU ports, with their states on both


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _node_settings(name: Literal["EU", "CN"], folder: Path, port: int) -> Settings:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    settings = Settings(
        node=name,
        key_folder=folder / "keys",
        database=f"sqlite:///{folder / 'ops.sqlite'}",
        warehouse=str(folder / "warehouse.duckdb"),
        port=port,
        delivery_interval_s=0.5,
        retry_first_s=0.5,
        retry_cap_s=5,
    )
    init_node(settings, operator="demo")  # keys, database, first operator: iprisk node init
    return settings


@contextmanager
def _serving(settings: Settings) -> Iterator[str]:
    """The node's app under uvicorn on its loopback port, in a thread, until the block ends."""
    import uvicorn

    from iprisk.web.app import create_app

    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"iprisk-demo-{settings.node}", daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started, "the node to start", 120)
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(60)


def _wait(condition: Callable[[], bool], what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited {timeout_s:.0f} s for {what}")
        time.sleep(0.2)


def _submit(settings: Settings, files: list[Path]) -> None:
    with Warehouse.open(settings.warehouse) as wh:
        for path in files:
            wh.submit(path, user="demo")


def _state(link: Link, pid: str) -> tuple[int, str]:
    p = link.node.profiles.get(pid)
    return p.version, p.status


def _received(link: Link) -> int:
    return counts(link).outgoing["received"]


def run_channel_demo(out: Path, files: list[Path], *, timeout_s: float = 600.0) -> ChannelDemo:
    """Each side's seizure ``files`` submitted at its node, sent to the other; a joint profile proposed at
    the EU node, approved by both sides, activated at CN; the two nodes reconciled."""
    start = time.monotonic()
    eu_files = [f for f in files if not f.name.startswith("CN_")]
    cn_files = [f for f in files if f.name.startswith("CN_")]
    eu = _node_settings("EU", out / "nodes" / "EU", _free_port())
    cn = _node_settings("CN", out / "nodes" / "CN", _free_port())
    _submit(eu, eu_files)
    _submit(cn, cn_files)
    with _serving(eu) as eu_url, _serving(cn) as cn_url:
        at_eu, at_cn = open_link(eu), open_link(cn)
        add_peer(at_eu, cn_url, at_cn.identity.fingerprint)
        add_peer(at_cn, eu_url, at_eu.identity.fingerprint)
        _wait(lambda: _received(at_eu) >= len(eu_files), "the EU's statistics at CN", timeout_s)
        _wait(lambda: _received(at_cn) >= len(cn_files), "China's statistics at the EU", timeout_s)

        joint = Profile.model_validate(JOINT)
        at_eu.node.profiles.add(joint, by="anna")
        at_eu.node.profiles.propose(joint.id, by="anna")
        at_eu.node.profiles.approve(joint.id, "DE", by="anna")
        _wait(
            lambda: at_cn.node.profiles.approvals(joint.id, 1) == ["DE"], "the EU's approval at CN", timeout_s
        )
        at_cn.node.profiles.approve(joint.id, "CN", by="li")
        at_cn.node.profiles.activate(joint.id, by="li")
        _wait(lambda: _state(at_eu, joint.id)[1] == "active", "the activation at the EU", timeout_s)
        referrals = exchange_referrals(at_cn, at_eu, lambda ok, what: _wait(ok, what, timeout_s))
        _wait(lambda: counts(at_eu).open == 0 and counts(at_cn).open == 0, "the last receipts", timeout_s)

        reconciliation = reconcile(at_eu, "CN")
        log = message_log(at_eu, limit=200)
        both = {"EU": counts(at_eu), "CN": counts(at_cn)}
        receipts = sum(c.outgoing["received"] for c in both.values())
        profile = {"EU": _state(at_eu, joint.id), "CN": _state(at_cn, joint.id)}
        for link in (at_eu, at_cn):
            link.close()
            link.node.engine.dispose()  # the node (opened by open_link) holds only its engine
    return ChannelDemo(
        {"EU": len(eu_files), "CN": len(cn_files)}, log, both, receipts, profile, reconciliation,
        time.monotonic() - start, referrals,
    )  # fmt: skip


__all__ = ["ChannelDemo", "run_channel_demo"]
