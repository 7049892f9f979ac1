"""``iprisk node``, ``users``, ``tokens`` and ``audit`` against a node in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from iprisk.settings import get_settings

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def node_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, value in {
        "IPRISK_NODE": "EU", "IPRISK_DATABASE": f"sqlite:///{tmp_path / 'ops.sqlite'}",
        "IPRISK_KEY_FOLDER": str(tmp_path / "keys"), "IPRISK_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "IPRISK_USER": "admin-on-call",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_init_users_tokens_and_a_verified_audit_log(node_env: Path, run: Run) -> None:
    code, out, _ = run("node", "init", "--operator", "root")
    assert code == 0 and "fingerprint" in out and "iprisk.eu/audit+" in out
    token = out.strip().splitlines()[-1]
    assert token.startswith("iprisk.")
    assert run("node", "init")[0] == 1  # never twice
    assert run("users", "add", "piet", "--role", "port_officer", "--port", "NLRTM")[0] == 0
    code, _, err = run("users", "add", "wu", "--role", "port_officer", "--port", "CNSHA")
    assert code == 1 and "not a port of the EU administration" in err
    code, out, _ = run("users", "list")
    assert "piet" in out and "NLRTM" in out and "root" in out
    code, secret, _ = run("tokens", "create", "piet", "--days", "2", "--label", "scanner")
    assert code == 0 and secret.strip().startswith("iprisk.")
    code, out, _ = run("tokens", "list")
    assert "scanner" in out and secret.strip() not in out
    token_id = secret.strip().split(".")[1]
    assert run("tokens", "revoke", token_id)[0] == 0
    assert run("users", "disable", "piet")[0] == 0
    assert run("audit", "checkpoint")[1].startswith("iprisk.eu/audit\n")
    code, out, _ = run("audit", "verify")
    assert code == 0 and out.strip().endswith("ok") and "inclusion" in out


def test_audit_verify_names_an_entry_changed_in_the_database(node_env: Path, run: Run) -> None:
    run("node", "init")
    for name in ("a1", "a2", "a3"):
        run("users", "add", name, "--role", "analyst")
    run("audit", "checkpoint")
    engine = create_engine(f"sqlite:///{node_env / 'ops.sqlite'}")
    with engine.begin() as con:  # someone with access to the database edits who added account a2
        entry = con.execute(text("SELECT entry FROM audit_entries WHERE idx = 3")).scalar_one()
        con.execute(
            text("UPDATE audit_entries SET entry = :e WHERE idx = 3"),
            {"e": entry.replace(b"admin-on-call", b"someone-else")},
        )
    engine.dispose()
    code, _, err = run("audit", "verify")
    assert code == 3
    assert "changed: entry 3" in err and "inclusion of entry 3" in err


def test_backup_and_restore_from_the_command_line(
    node_env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("node", "init")
    run("users", "add", "ana", "--role", "analyst")
    code, out, _ = run("node", "backup", str(node_env / "b.tar.gz"))
    assert code == 0 and "b.tar.gz" in out
    monkeypatch.setenv("IPRISK_DATABASE", f"sqlite:///{node_env / 'restored.sqlite'}")
    monkeypatch.setenv("IPRISK_KEY_FOLDER", str(node_env / "restored-keys"))
    get_settings.cache_clear()
    code, out, _ = run("node", "restore", str(node_env / "b.tar.gz"))
    assert code == 0 and "node EU restored" in out
    assert "ana" in run("users", "list")[1]
    assert run("audit", "verify")[0] == 0
