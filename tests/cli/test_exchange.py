"""``iprisk exchange``: the commands open the node of the settings, call the link, print; peers pinned and
the real HTTP between two processes are in tests/link/test_processes.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iprisk.exchange import load_identity
from iprisk.node.keys import create_audit_keys
from iprisk.settings import get_settings
from tests.link.twonodes import Side, two_nodes


@pytest.fixture
def at_eu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Side:
    """The commands run as the operator of the EU node of a pair that pinned each other."""
    eu, _cn = two_nodes(tmp_path)
    settings = eu.node.settings
    create_audit_keys(settings.key_folder, "EU")  # the rest of what iprisk node init makes
    monkeypatch.setenv("IPRISK_NODE", "EU")
    monkeypatch.setenv("IPRISK_KEY_FOLDER", str(settings.key_folder))
    monkeypatch.setenv("IPRISK_DATABASE", settings.database)
    monkeypatch.setenv("IPRISK_WAREHOUSE", settings.warehouse)
    get_settings.cache_clear()
    return eu


def test_without_a_node_the_commands_name_the_setting(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IPRISK_NODE", raising=False)
    get_settings.cache_clear()
    code, _out, err = run("exchange", "status")
    assert code != 0 and "IPRISK_NODE" in err


def test_probes_are_queued_listed_and_attempted(run, at_eu: Side) -> None:
    code, out, err = run("exchange", "probe", "CN", "--count", "3")
    assert code == 0, err
    assert "3 probes queued for CN" in out
    code, out, _ = run("exchange", "status", "--kind", "probe")
    assert code == 0 and out.count(" probe ") == 3 and "queued 3" in out
    # the CLI's link speaks real HTTP: cn.test does not resolve, so the pass attempts and keeps them
    code, out, err = run("exchange", "deliver")  # (with the probes, the node's first audit checkpoint)
    attempted = re.search(r"attempted (\d+), received by the peer 0,", out)
    assert code == 0 and attempted and int(attempted.group(1)) >= 3 and "warning" in err
    code, out, _ = run("exchange", "status", "--state", "sent", "--kind", "probe")
    assert out.count(" probe ") == 3


def test_peers_are_listed_and_a_key_revoked(run, at_eu: Side) -> None:
    fingerprint = at_eu.link.peer_book.get("CN").ring.keys[0].fingerprint
    code, out, _ = run("exchange", "peer", "list")
    assert code == 0 and "CN" in out and fingerprint in out and "current" in out
    # a thumbprint may start with "-": the arguments come after "--"
    code, out, _ = run("exchange", "peer", "revoke", "--", "CN", fingerprint)
    assert code == 0 and f"key {fingerprint} of CN revoked" in out
    _code, out, _ = run("exchange", "peer", "list")
    assert "revoked" in out and "current" not in out
    code, _out, err = run("exchange", "probe", "CN")  # nothing can be encrypted to CN any more
    assert code != 0 and "no valid key" in err


def test_a_key_rotation_is_saved_and_announced_then_the_old_key_retired(run, at_eu: Side) -> None:
    folder = at_eu.node.settings.key_folder
    old = load_identity(folder).fingerprint
    code, out, err = run("exchange", "keys", "rotate")
    assert code == 0, err
    new = load_identity(folder).fingerprint
    assert new != old and f"new key {new}" in out
    _code, out, _ = run("exchange", "status", "--kind", "keys.rotation")
    assert "keys.rotation" in out and "queued 1" in out
    code, out, _ = run("exchange", "keys", "retire", "--", old)  # a thumbprint may start with "-"
    assert code == 0 and [g.fingerprint for g in load_identity(folder).generations] == [new]


def test_reconcile_without_peers_says_so(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iprisk.node.init import init_node

    monkeypatch.setenv("IPRISK_NODE", "CN")
    monkeypatch.setenv("IPRISK_KEY_FOLDER", str(tmp_path / "keys"))
    monkeypatch.setenv("IPRISK_DATABASE", f"sqlite:///{tmp_path / 'ops.sqlite'}")
    get_settings.cache_clear()
    init_node()
    code, _out, err = run("exchange", "reconcile")
    assert code == 1 and "no peer" in err
