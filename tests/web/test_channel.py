"""The channel's routes, as the peer node calls them."""

from __future__ import annotations

from starlette.testclient import TestClient

from iprisk.exchange import verify_receipt
from iprisk.exchange._encoding import b64url_decode, b64url_encode
from iprisk.link import Kind, register
from tests.link.twonodes import Side, nodes

__all__ = ["nodes"]  # the fixture
JOSE = {"content-type": "application/jose"}


def _queue(eu: Side, payload: bytes = b"x") -> str:
    with eu.link.store.transaction() as tx:
        return eu.link.send(tx, "test.note", "CN", payload).wire


def _note(link, tx, opened) -> None:  # type: ignore[no-untyped-def]
    tx.connection.exec_driver_sql("SELECT 1")  # an effect in the inbox's unit of work


register(Kind("test.note", "a test message", _note))


def test_a_message_gets_its_receipt_and_a_duplicate_the_same_bytes(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    wire = _queue(eu)
    client = TestClient(cn.app)
    first = client.post("/channel/messages", content=wire, headers=JOSE)
    again = client.post("/channel/messages", content=wire, headers=JOSE)
    assert first.status_code == 200 and first.headers["content-type"] == "application/jose"
    assert again.content == first.content
    receipt = verify_receipt(first.text, eu.link.rings(), eu.node.clock.now())
    assert receipt.accepted and receipt.receiver == "CN"


def test_what_does_not_check_out_is_refused_with_the_check_that_failed(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    wire = _queue(eu)
    client = TestClient(cn.app)
    head, key, iv, ciphertext, tag = wire.split(".")
    flipped = b64url_decode(ciphertext, "ciphertext")
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    forged = ".".join([head, key, iv, b64url_encode(flipped), tag])
    tampered = client.post("/channel/messages", content=forged)
    garbage = client.post("/channel/messages", content=b"\xff not a message")
    assert tampered.status_code == 400 and tampered.json()["error"] == "DecryptionFailed"
    assert garbage.status_code == 400 and garbage.json()["error"] == "MalformedMessage"
    assert tampered.headers["content-type"] == "application/problem+json"
    with cn.link.store.transaction() as tx:
        assert [r.error for r in tx.refusals()] == ["DecryptionFailed", "MalformedMessage"]
        assert tx.incoming() == []


def test_a_batch_answers_each_message_in_order(nodes: tuple[Side, Side]) -> None:
    eu, cn = nodes
    wires = [_queue(eu, bytes([i])) for i in range(3)]
    wires[1] = wires[1][:-4] + "AAAA"
    answer = TestClient(cn.app).post("/channel/batches", json={"messages": wires})
    results = answer.json()["results"]
    assert answer.status_code == 200 and [sorted(r) for r in results] == [
        ["receipt"],
        ["detail", "error"],
        ["receipt"],
    ]
    assert results[1]["error"] == "DecryptionFailed"
    bad = TestClient(cn.app).post("/channel/batches", json={"messages": "not a list"})
    assert bad.status_code == 400


def test_the_card_carries_the_keys_a_peer_pins(nodes: tuple[Side, Side]) -> None:
    _, cn = nodes
    card = TestClient(cn.app).get("/channel/card").json()
    assert card["node"] == "CN" and card["fingerprint"] == cn.node.identity.fingerprint
    assert card["rotations"] == []
