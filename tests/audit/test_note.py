from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from iprisk.audit import (
    COSIGNATURE_V1,
    MalformedNote,
    NoteSignatureError,
    NoteSigner,
    NoteVerifier,
    add_signature,
    parse_note,
    sign_note,
    verify_note,
)

TEXT = "iprisk.eu/audit\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_signed_note_has_the_c2sp_layout_and_key_id() -> None:
    signer = NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate())
    note = sign_note(TEXT, signer)
    assert note.startswith(TEXT + "\n\u2014 iprisk.eu/audit ")
    parsed, verified = verify_note(note, [signer.verifier])
    assert parsed.text == TEXT and verified == {"iprisk.eu/audit": None}
    assert parsed.signatures[0][1] == signer.verifier.key_id and len(parsed.signatures[0][2]) == 64
    assert str(parsed) == note


def test_vkey_round_trip_and_checks() -> None:
    verifier = NoteSigner("iprisk.cn/witness", Ed25519PrivateKey.generate(), COSIGNATURE_V1).verifier
    assert verifier.vkey.startswith("iprisk.cn/witness+")
    copy = NoteVerifier.from_vkey(verifier.vkey)
    assert (copy.name, copy.key_id, copy.kind) == (verifier.name, verifier.key_id, COSIGNATURE_V1)
    name, _, key = verifier.vkey.split("+", 2)
    with pytest.raises(MalformedNote, match="key ID"):
        NoteVerifier.from_vkey(f"{name}+00000000+{key}")


def test_cosignature_is_timestamped_and_bound_to_the_text() -> None:
    log = NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate())
    witness = NoteSigner("iprisk.cn/witness", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    note = add_signature(sign_note(TEXT, log), witness.signature_line(TEXT, NOW))
    assert add_signature(note, witness.signature_line(TEXT, NOW)) == note  # added once
    _, verified = verify_note(note, [log.verifier, witness.verifier])
    assert verified == {"iprisk.eu/audit": None, "iprisk.cn/witness": int(NOW.timestamp())}
    other_text = TEXT.replace("\n3\n", "\n4\n")
    forged = add_signature(sign_note(other_text, log), witness.signature_line(TEXT, NOW))
    with pytest.raises(NoteSignatureError, match="witness"):
        verify_note(forged, [log.verifier, witness.verifier])


def test_unknown_keys_are_ignored_but_a_note_needs_one_known_valid_signature() -> None:
    known, stranger = (NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate()) for _ in range(2))
    note = sign_note(TEXT, stranger)
    with pytest.raises(NoteSignatureError, match="no valid signature"):
        verify_note(note, [NoteSigner("someone.else", Ed25519PrivateKey.generate()).verifier])
    with pytest.raises(NoteSignatureError):  # same name, other key: the key IDs differ, so it is unknown
        verify_note(note, [known.verifier])


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n\u2014 a AAAA\n",
        TEXT + "\n",
        TEXT + "\n- iprisk.eu/audit AAAAAAAA\n",
        TEXT + "\n\u2014 iprisk.eu/audit AAAA!AAA\n",
        TEXT.replace("3", "\x07") + "\n\u2014 a AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(MalformedNote):
        parse_note(note)
