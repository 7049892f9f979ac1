"""The demo's node for the dashboard: made once over the demo's folders, fresh logins on each run."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.demo.dashboard import DEMO_ACCOUNTS, prepare_demo_node
from iprisk.errors import MissingFile, Unauthenticated
from iprisk.exchange import load_identity
from iprisk.node import Node


def _demo_folder(tmp_path: Path) -> Path:
    out = tmp_path / "demo-out"
    (out / "analysis").mkdir(parents=True)
    (out / "analysis" / "summary.md").write_text("# Joint analysis\n", encoding="utf-8")
    (out / "reports").mkdir()
    (out / "reports" / "annual-2017.zh.pdf").write_bytes(b"%PDF-1.7 stand-in")
    return out


def test_without_the_demo_it_names_the_missing_analysis(tmp_path: Path) -> None:
    with pytest.raises(MissingFile, match=r"summary\.md"):
        prepare_demo_node(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_the_node_serves_the_demo_and_each_run_gives_new_passwords(tmp_path: Path) -> None:
    out = _demo_folder(tmp_path)
    first = prepare_demo_node(out, port=8123)
    s = first.settings
    assert first.url == "http://127.0.0.1:8123/ui/"
    assert (s.node, s.analysis_folder, s.warehouse) == ("EU", out / "analysis", str(out / "warehouse.duckdb"))
    assert (
        out / "analysis" / "annual-2017.zh.pdf"
    ).read_bytes() == b"%PDF-1.7 stand-in"  # on the Reports page
    fingerprint = load_identity(s.key_folder).fingerprint
    with Node.open(s) as node:
        for (name, role, password), (_n, _r, ports) in zip(first.logins, DEMO_ACCOUNTS, strict=True):
            who = node.accounts.check_password(name, password)
            assert (str(who.role), who.administration, tuple(who.ports)) == (role, "EU", ports)
    again = prepare_demo_node(out, port=8123)
    assert load_identity(s.key_folder).fingerprint == fingerprint  # the node is made once
    assert [p for *_, p in again.logins] != [p for *_, p in first.logins]
    with Node.open(s) as node:
        with pytest.raises(Unauthenticated):
            node.accounts.check_password("analyst", first.logins[0][2])
        node.accounts.check_password("analyst", again.logins[0][2])
