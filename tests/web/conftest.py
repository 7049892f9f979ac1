"""A node in a temporary folder (keys, operational database, warehouse), its app, and one account per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iprisk.accounts import Role
from iprisk.node import InitResult, Node, init_node
from iprisk.settings import Settings
from iprisk.web import create_app
from tests.conftest import fresh_database

#: The ports the test port officer is bound to.
OFFICER_PORTS = ("NLRTM",)


@dataclass
class LiveNode:
    settings: Settings
    init: InitResult
    client: TestClient
    tokens: dict[Role, str]

    @property
    def node(self) -> Node:
        node: Node = self.client.app.state.node  # type: ignore[attr-defined]
        return node

    def headers(self, role: Role | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}


def node_settings(folder: Path, database: str, name: str = "EU") -> Settings:
    return Settings(
        node=name, database=database, key_folder=folder / "keys", warehouse=str(folder / "warehouse.duckdb"),
        user="tester",
    )  # fmt: skip


def start(folder: Path, database: str, name: str = "EU") -> LiveNode:
    """Initialise a node, open its app, and give every role an account and a token."""
    settings = node_settings(folder, database, name)
    init = init_node(settings)
    client = TestClient(create_app(settings))
    tokens = {Role.OPERATOR: init.secret}
    accounts = client.app.state.node.accounts  # type: ignore[attr-defined]
    for role in Role:
        if role is Role.OPERATOR:
            continue
        ports = OFFICER_PORTS if role is Role.PORT_OFFICER else ()
        accounts.add_user(role.value.replace("_", "-"), role.value, name, ports, by="test")
        tokens[role] = accounts.create_token(role.value.replace("_", "-"), days=1, by="test")[1]
    return LiveNode(settings, init, client, tokens)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNode]:
    """An EU node on SQLite."""
    with fresh_database("sqlite", tmp_path) as url:
        node = start(tmp_path, url)
        with node.client:
            yield node


@pytest.fixture(params=["sqlite", "postgresql"])
def live_both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveNode]:
    """An EU node on SQLite, then on PostgreSQL."""
    with fresh_database(request.param, tmp_path) as url:
        node = start(tmp_path, url)
        with node.client:
            yield node
        node.node.close()
