"""docs/service.md shows the code's authorisation table and routes (rendered by iprisk.web.catalog)."""

from __future__ import annotations

from pathlib import Path

from iprisk.accounts import PERMISSIONS, Role
from iprisk.web import ROUTERS
from iprisk.web.catalog import action_table, route_table, routes
from tests.web.test_authorization import PUBLIC

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"
REGENERATE = "paste iprisk.web.catalog.action_table() and route_table(ROUTERS) into docs/service.md"


def test_service_doc_shows_the_authorisation_table_of_the_code() -> None:
    assert action_table() in DOC.read_text(encoding="utf-8"), REGENERATE


def test_service_doc_shows_every_route_with_its_action_and_scopes() -> None:
    assert route_table(ROUTERS) in DOC.read_text(encoding="utf-8"), REGENERATE


def test_tables_say_what_the_table_grants() -> None:
    lines = action_table().splitlines()
    assert len(lines) == 2 + len(PERMISSIONS)
    decide = next(line for line in lines if line.startswith("| `profiles.decide`"))
    cells = [c.strip() for c in decide.strip("|").split("|")]
    assert cells[2:] == ["—", "administration", "—", "—", "—"]  # only a coordinator, for its side
    assert len(cells) == 2 + len(Role)
    public = [r for r in routes(ROUTERS) if r.action is None]
    assert {r.path for r in public} == PUBLIC  # the channel's routes: each message authenticates itself
    assert "| GET | `/analysis/{table}` | `analysis.read` |" in route_table(ROUTERS)
