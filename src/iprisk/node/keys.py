"""The audit log's keys in the node's key folder, beside the channel identity (``iprisk.exchange``).

Two Ed25519 keys, apart from the channel's signing key so that no signature made for one protocol can be
replayed in another: the **log key** signs the node's audit checkpoints (C2SP signed notes), the **witness
key** cosigns the peer's checkpoints (C2SP tlog-cosignature). Layout::

    audit/log.pem        Ed25519 private key, PKCS#8 PEM (encrypted with the passphrase, if any), 0600
    audit/witness.pem    idem
    audit/log.vkey       the log's verifier key (C2SP vkey): what an auditor is given
    audit/witness.vkey   the witness's verifier key: what the peer pins to check our cosignatures
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from iprisk.audit import COSIGNATURE_V1, ED25519, NoteSigner
from iprisk.exchange import KeyFolderError

AUDIT_FOLDER = "audit"


def log_name(node: str) -> str:
    """The audit log's origin (its key's name), e.g. ``iprisk.eu/audit``."""
    return f"iprisk.{node.lower()}/audit"


def witness_name(node: str) -> str:
    return f"iprisk.{node.lower()}/witness"


@dataclass(frozen=True)
class AuditKeys:
    log: NoteSigner
    witness: NoteSigner


def create_audit_keys(folder: Path, node: str, passphrase: str | None = None) -> AuditKeys:
    """Generate and save the two audit keys (KeyFolderError when they exist: keys are never overwritten)."""
    target = Path(folder) / AUDIT_FOLDER
    if (target / "log.pem").exists():
        raise KeyFolderError(str(target / "log.pem"), "audit keys exist already; they are never replaced")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = AuditKeys(
        NoteSigner(log_name(node), Ed25519PrivateKey.generate(), ED25519),
        NoteSigner(witness_name(node), Ed25519PrivateKey.generate(), COSIGNATURE_V1),
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    for name, signer in (("log", keys.log), ("witness", keys.witness)):
        pem = signer.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        _write(target / f"{name}.pem", pem, 0o600)
        _write(target / f"{name}.vkey", signer.verifier.vkey.encode("ascii") + b"\n", 0o644)
    return keys


def load_audit_keys(folder: Path, node: str, passphrase: str | None = None) -> AuditKeys:
    """Read the two audit keys; KeyFolderError names the file that is missing or unreadable."""
    target = Path(folder) / AUDIT_FOLDER
    password = passphrase.encode("utf-8") if passphrase else None
    log = _read(target / "log.pem", password)
    witness = _read(target / "witness.pem", password)
    return AuditKeys(
        NoteSigner(log_name(node), log, ED25519), NoteSigner(witness_name(node), witness, COSIGNATURE_V1)
    )


def _read(path: Path, password: bytes | None) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFolderError(str(path), "missing: run iprisk node init (or restore the key folder)") from None
    except OSError as exc:
        raise KeyFolderError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:  # a passphrase for an unencrypted key, or none for an encrypted one
        need = "needs a passphrase (IPRISK_KEY_PASSPHRASE)" if password is None else "is not encrypted"
        raise KeyFolderError(str(path), f"the key {need}") from None
    except ValueError:
        raise KeyFolderError(str(path), "wrong passphrase or not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFolderError(str(path), "not an Ed25519 private key")
    return key


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask filters O_CREAT's mode
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
