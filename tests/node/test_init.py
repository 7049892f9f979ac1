from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from iprisk.accounts import Role
from iprisk.errors import AlreadyExists
from iprisk.exchange import KeyFolderError, read_card
from iprisk.node import Node, NodeSettingError, init_node
from iprisk.settings import Settings
from tests.web.conftest import node_settings


def test_init_makes_keys_database_and_first_operator(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, f"sqlite:///{tmp_path / 'ops.sqlite'}", "CN")
    result = init_node(settings, operator="wang")
    assert read_card(result.card).fingerprint == result.fingerprint
    assert result.audit_vkey.startswith("iprisk.cn/audit+") and result.witness_vkey.startswith(
        "iprisk.cn/witness+"
    )
    folder = settings.key_folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "audit" / "log.pem").stat().st_mode) == 0o600
    with Node.open(settings) as node:
        principal = node.accounts.authenticate(result.secret)
        assert (principal.name, principal.role, principal.administration) == ("wang", Role.OPERATOR, "CN")
        assert result.secret not in (folder / "audit" / "log.pem").read_text()
    with pytest.raises(AlreadyExists, match="node keys"):
        init_node(settings)


def test_open_names_the_setting_at_fault(tmp_path: Path) -> None:
    with pytest.raises(NodeSettingError, match=r"setting node \(IPRISK_NODE\): not set"):
        Node.open(Settings(key_folder=tmp_path / "keys"))
    with pytest.raises(NodeSettingError, match="holds no node keys: run iprisk node init"):
        Node.open(node_settings(tmp_path, "sqlite:///x.sqlite"))
    settings = node_settings(tmp_path, f"sqlite:///{tmp_path / 'ops.sqlite'}")
    init_node(settings)
    with pytest.raises(NodeSettingError, match="are those of node EU"):
        Node.open(settings.model_copy(update={"node": "CN"}))
    with pytest.raises(NodeSettingError, match=r"setting database \(IPRISK_DATABASE\): cannot open"):
        Node.open(settings.model_copy(update={"database": "postgresql+psycopg://nobody@127.0.0.1:1/none"}))
    (settings.key_folder / "audit" / "witness.pem").unlink()
    with pytest.raises(KeyFolderError, match=r"witness\.pem: missing"):
        Node.open(settings)


def test_a_passphrase_protects_the_keys(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, f"sqlite:///{tmp_path / 'ops.sqlite'}")
    settings = settings.model_copy(update={"key_passphrase": SecretStr("a long key passphrase")})
    init_node(settings)
    assert b"ENCRYPTED" in (settings.key_folder / "audit" / "log.pem").read_bytes()
    with pytest.raises(KeyFolderError, match="needs a passphrase"):
        Node.open(settings.model_copy(update={"key_passphrase": None}))


def test_init_refuses_a_database_with_accounts_before_writing_any_key(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    init_node(node_settings(tmp_path / "first", database))
    other = node_settings(tmp_path / "second", database)
    with pytest.raises(AlreadyExists, match="accounts in the database"):
        init_node(other)
    assert not other.key_folder.exists()
