"""Two nodes in one process (EU and CN), each with its database, warehouse, keys and app; their HTTP goes
through Starlette's TestClient to the other's app. The bed of the link tests (the end-to-end test runs two
real processes instead)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from iprisk.audit import NoteSigner
from iprisk.exchange import ManualClock, NodeIdentity, RetryPolicy, save_identity
from iprisk.link import HttpTransport, Link, add_peer
from iprisk.settings import Settings
from iprisk.store import AccountStore, AuditTrail, ProfileStore, ReferralStore, connect
from iprisk.web.problems import install_problem_handlers
from iprisk.web.routes import channel


@dataclass
class TestNode:
    """What a link needs of a node (``iprisk.node.Node`` has the same attributes)."""

    name: str
    engine: Engine
    identity: NodeIdentity
    clock: Any
    settings: Settings
    audit: Any = None
    audit_keys: Any = None
    profiles: Any = None
    referrals: Any = None
    accounts: Any = None


@dataclass
class Side:
    node: TestNode
    app: FastAPI
    link: Link = field(init=False)
    url: str = ""


def make_side(name: str, folder: Path, clock: ManualClock, database_url: str | None = None) -> Side:
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        node=name,
        key_folder=folder / "keys",
        warehouse=str(folder / "warehouse.duckdb"),
        database=database_url or f"sqlite:///{folder / 'ops.sqlite'}",
    )
    identity = NodeIdentity.create(name, clock.now())
    save_identity(identity, settings.key_folder)
    engine = connect(settings.database)
    node = TestNode(
        name,
        engine,
        identity,
        clock,
        settings,
        profiles=ProfileStore(engine),
        referrals=ReferralStore(engine),
        # the node's accounts (the demo's port officers), their events in an audit trail of their own
        accounts=AccountStore(
            engine,
            AuditTrail(NoteSigner(f"iprisk.{name.lower()}/audit", Ed25519PrivateKey.generate()), clock),
            clock,
        ),
    )
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(channel.router)
    return Side(node, app, url=f"http://{name.lower()}.test")


def connect_sides(eu: Side, cn: Side, policy: RetryPolicy | None = None) -> None:
    """Each side's link talks to the other's app; each pins the other's keys by fingerprint."""
    for here, there in ((eu, cn), (cn, eu)):
        transport = HttpTransport(
            lambda here=here: {n: p.url for n, p in here.link.peer_book.peers().items()},
            here.node.settings,
            client=TestClient(there.app, base_url=there.url),
        )
        here.link = Link(here.node, transport=transport, policy=policy or RetryPolicy())
        here.app.state.link = here.link
    add_peer(eu.link, cn.url, cn.node.identity.fingerprint)
    add_peer(cn.link, eu.url, eu.node.identity.fingerprint)


def two_nodes(tmp_path: Path, clock: ManualClock | None = None) -> tuple[Side, Side]:
    clock = clock or ManualClock()
    eu, cn = make_side("EU", tmp_path / "eu", clock), make_side("CN", tmp_path / "cn", clock)
    connect_sides(eu, cn)
    return eu, cn


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """EU and CN, in this process, peers of each other."""
    eu, cn = two_nodes(tmp_path)
    yield eu, cn
    for side in (eu, cn):
        side.node.engine.dispose()
