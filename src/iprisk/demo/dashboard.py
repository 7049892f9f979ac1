"""A node that shows the demo's results in the dashboard (``make serve``, ``iprisk demo-serve``).

The demo writes a world, a warehouse, an analysis folder and reports under its output folder; this module
makes the EU node that serves them: its keys and operational database under ``<out>/dashboard-node`` (made
once, as ``iprisk node init`` would), the demo's warehouse and analysis folder as the node's, the demo's
reports published into the analysis folder (where the Reports page lists them), and one account per role a
visitor may want to try, each with a fresh password printed for this run (the previous one stops working).
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from iprisk.errors import MissingFile
from iprisk.node import Node
from iprisk.node.init import init_node
from iprisk.settings import Settings

#: the accounts the demo node offers: name, role, ports (a port officer's)
DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("analyst", "analyst", ()),
    ("coordinator", "coordinator", ()),
    ("officer.rotterdam", "port_officer", ("NLRTM",)),
)
_BY = "demo-serve"


@dataclass(frozen=True)
class DemoNode:
    settings: Settings
    url: str
    logins: list[tuple[str, str, str]]  # name, role, password (valid until the next demo-serve)


def prepare_demo_node(out_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8000) -> DemoNode:
    """The EU node over the demo's results in ``out_dir`` (raises MissingFile when the demo has not run)."""
    out = Path(out_dir)
    analysis = out / "analysis"
    if not (analysis / "summary.md").is_file():
        raise MissingFile(str(analysis / "summary.md"))
    folder = out / "dashboard-node"
    settings = Settings(
        node="EU",
        key_folder=folder / "keys",
        database=f"sqlite:///{folder / 'ops.sqlite'}",
        warehouse=str(out / "warehouse.duckdb"),
        analysis_folder=analysis,
        host=host,
        port=port,
    )
    if not (settings.key_folder / "identity.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        init_node(settings, operator="operator")
    _publish_reports(out / "reports", analysis)
    with Node.open(settings) as node:
        logins = [_login(node, name, role, ports) for name, role, ports in DEMO_ACCOUNTS]
    return DemoNode(settings, f"http://{host}:{port}/ui/", logins)


def _publish_reports(reports: Path, analysis: Path) -> None:
    """The newsletter and annual report next to the analysis, where the node's Reports page lists them."""
    for path in sorted(reports.glob("*.*")) if reports.is_dir() else []:
        shutil.copy2(path, analysis / path.name)


def _login(node: Node, name: str, role: str, ports: tuple[str, ...]) -> tuple[str, str, str]:
    password = secrets.token_urlsafe(12)
    if name in {u.name for u in node.accounts.users()}:
        node.accounts.set_password(name, password, by=_BY)
    else:
        node.accounts.add_user(name, role, node.name, ports, password=password, by=_BY)
    return name, role, password
