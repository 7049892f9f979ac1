"""TLS between nodes when certificates are configured: a self-signed pair made here, a real server."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tests.web.test_channel  # noqa: F401  (registers the test.note kind)
from iprisk.link import HttpTransport, PeerUnreachable, add_peer
from iprisk.settings import Settings
from tests.link.twonodes import Side


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def https_cn(nodes: tuple[Side, Side], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    _, cn = nodes
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    config = uvicorn.Config(
        cn.app, host="127.0.0.1", port=port, ssl_certfile=str(cert), ssl_keyfile=str(key), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"https://localhost:{port}", cert
    server.should_exit = True
    thread.join(timeout=30)


def test_the_peer_is_reached_over_https_verified_against_its_certificate(
    nodes: tuple[Side, Side], https_cn: tuple[str, Path]
) -> None:
    eu, cn = nodes
    url, cert = https_cn
    untrusted = HttpTransport(lambda: {"CN": url}, Settings(), timeout_s=10)
    with pytest.raises(PeerUnreachable, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        untrusted.card(url)  # a self-signed certificate the system does not trust
    untrusted.close()
    trusting = HttpTransport(lambda: eu.link.peer_urls(), Settings(tls_ca=cert), timeout_s=10)
    eu.link.transport = trusting
    try:
        add_peer(eu.link, url, cn.node.identity.fingerprint)
        with eu.link.store.transaction() as tx:
            eu.link.send(tx, "test.note", "CN", b"over TLS")
        assert eu.link.deliver().received == 1
    finally:
        trusting.close()
