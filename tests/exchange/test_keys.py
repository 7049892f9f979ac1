from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iprisk.errors import IpriskError
from iprisk.exchange import (
    BadSignature,
    KeyFolderError,
    MalformedMessage,
    NodeIdentity,
    load_identity,
    read_card,
    save_identity,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_fingerprint_is_the_rfc7638_thumbprint_of_the_signing_key() -> None:
    keys = NodeIdentity.create("EU", NOW).current
    jwk = keys.public.signing.as_dict(private=False)
    members = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    assert keys.fingerprint == expected
    assert keys.public.encryption_kid != keys.fingerprint


@pytest.mark.parametrize("passphrase", [None, "correct horse"])
def test_key_folder_round_trip_with_private_files_0600(tmp_path: Path, passphrase: str | None) -> None:
    identity, _ = NodeIdentity.create("EU", NOW).rotate(NOW)
    save_identity(identity, tmp_path / "keys", passphrase)
    loaded = load_identity(tmp_path / "keys", passphrase)
    assert [g.fingerprint for g in loaded.generations] == [g.fingerprint for g in identity.generations]
    assert loaded.current.card() == identity.current.card()  # Ed25519 is deterministic: same keys, same card
    for pem in (tmp_path / "keys").glob("*/*.pem"):
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600
        assert (b"ENCRYPTED" in pem.read_bytes()) == (passphrase is not None)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_key_folder_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFolderError, match=r"identity\.json"):
        load_identity(tmp_path / "nowhere")
    save_identity(NodeIdentity.create("EU", NOW), tmp_path / "k", "secret")
    with pytest.raises(KeyFolderError, match="needs a passphrase") as no_pass:
        load_identity(tmp_path / "k")
    assert "signing.pem" in str(no_pass.value) and isinstance(no_pass.value, IpriskError | OSError)
    with pytest.raises(KeyFolderError, match="wrong passphrase"):
        load_identity(tmp_path / "k", "guess")
    save_identity(NodeIdentity.create("CN", NOW), tmp_path / "plain")
    with pytest.raises(KeyFolderError, match="not encrypted"):
        load_identity(tmp_path / "plain", "secret")


def test_card_is_self_signed_and_tampering_is_refused() -> None:
    keys = NodeIdentity.create("CN", NOW).current
    assert read_card(keys.card()).fingerprint == keys.fingerprint
    header, _body, sig = keys.card().split(".")
    other = NodeIdentity.create("CN", NOW).current
    _, other_body, _ = other.card().split(".")
    with pytest.raises(BadSignature):  # someone else's keys under this key's signature
        read_card(f"{header}.{other_body}.{sig}")
    with pytest.raises(MalformedMessage):
        read_card(keys.sign({"typ": "something-else"}, b"{}"))


def test_rotation_and_retirement() -> None:
    identity = NodeIdentity.create("EU", NOW)
    rotated, _ = identity.rotate(NOW)
    assert rotated.current.fingerprint != identity.fingerprint and len(rotated.generations) == 2
    assert rotated.decryption_keys(identity.current.public.encryption_kid) is identity.current
    retired = rotated.retire(identity.fingerprint)
    assert retired.generations == (rotated.current,)
    with pytest.raises(KeyFolderError, match="current"):
        retired.retire(retired.fingerprint)


def test_node_names_are_checked() -> None:
    with pytest.raises(MalformedMessage, match="node name"):
        NodeIdentity.create("EU/../x", NOW)
