"""Backup and restore of a node, round trip, on SQLite and PostgreSQL (and from one to the other)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from iprisk.audit import verify_log
from iprisk.errors import AlreadyExists, InvalidValue
from iprisk.node import Node, backup_node, init_node, restore_node
from iprisk.store import SqlLogStore
from tests.conftest import fresh_database
from tests.profiles.samples import profile
from tests.web.conftest import node_settings


def _fill(node: Node) -> None:
    node.accounts.add_user("ana", "analyst", "EU", password="correct horse battery", by="operator")
    token, _ = node.accounts.create_token("ana", days=5, by="operator")
    node.accounts.revoke_token(token.id, by="operator")
    node.profiles.import_profiles([profile("P1"), profile("P2", joint=True)], by="ana")
    node.profiles.propose("P1", by="ana")


def _state(node: Node) -> dict[str, object]:
    with Session(node.engine) as session:
        store = SqlLogStore(session)
        entries, checkpoints = store.entries(), store.checkpoints()
    return {
        "users": node.accounts.users(),
        "tokens": node.accounts.tokens(),
        "profiles": node.profiles.profiles(all_versions=True),
        "history": [node.profiles.history(p.id) for p in node.profiles.profiles()],
        "audit": entries,
        "checkpoints": checkpoints,
    }


@pytest.mark.parametrize(
    ("source", "target"), [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql")]
)
def test_backup_and_restore_round_trip(tmp_path: Path, source: str, target: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with fresh_database(source, tmp_path / "a") as url_a, fresh_database(target, tmp_path / "b") as url_b:
        settings_a = node_settings(tmp_path / "a", url_a)
        init = init_node(settings_a)
        with Node.open(settings_a) as node:
            _fill(node)
            before = _state(node)
            manifest = backup_node(node, tmp_path / "node.tar.gz")
        assert (tmp_path / "node.tar.gz").stat().st_mode & 0o777 == 0o600
        assert manifest.tables["users"] == 2 and manifest.tables["audit_entries"] == len(before["audit"])  # type: ignore[arg-type]
        settings_b = node_settings(tmp_path / "b", url_b)
        restore_node(tmp_path / "node.tar.gz", settings_b)
        with Node.open(settings_b) as node:
            after = _state(node)
            assert node.accounts.authenticate(init.secret).name == "operator"
            assert node.identity.fingerprint == init.fingerprint
            assert node.accounts.check_password("ana", "correct horse battery").name == "ana"
            node.profiles.propose(
                node.profiles.profiles("draft")[0].id, by="ana"
            )  # ids continue after restore
            report = verify_log(after["audit"], after["checkpoints"], node.audit_keys.log.verifier)  # type: ignore[arg-type]
        for key in ("users", "tokens", "profiles", "history", "checkpoints"):
            assert after[key] == before[key], key
        restored = json.loads(after["audit"][-1])  # type: ignore[index]
        assert after["audit"][:-1] == before["audit"] and restored["kind"] == "node.restored"
        assert report.ok, [str(f) for f in report.findings]
        with pytest.raises(AlreadyExists, match="use --force"):
            restore_node(tmp_path / "node.tar.gz", settings_b)


def test_restore_refuses_an_altered_archive_and_another_node(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, f"sqlite:///{tmp_path / 'ops.sqlite'}")
    init_node(settings)
    with Node.open(settings) as node:
        backup_node(node, tmp_path / "good.tar.gz")
    with tarfile.open(tmp_path / "good.tar.gz") as src, tarfile.open(tmp_path / "bad.tar.gz", "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if member.name == "database/users.jsonl":
                body = data.read().replace(b'"operator"', b'"intruder"')  # type: ignore[union-attr]
                member.size = len(body)
                dst.addfile(member, __import__("io").BytesIO(body))
            else:
                dst.addfile(member, data)
    other = node_settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.sqlite'}")
    with pytest.raises(InvalidValue, match=r"users\.jsonl is missing or altered"):
        restore_node(tmp_path / "bad.tar.gz", other)
    with pytest.raises(InvalidValue, match="a backup of node EU, this node is CN"):
        restore_node(tmp_path / "good.tar.gz", other.model_copy(update={"node": "CN"}))
    with pytest.raises(AlreadyExists), Node.open(settings) as node:
        backup_node(node, tmp_path / "good.tar.gz")
