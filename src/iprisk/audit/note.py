"""Signed notes (C2SP signed-note) with Ed25519 signatures, and timestamped cosignatures (C2SP
tlog-cosignature, Ed25519 ``cosignature/v1``): the format Go's checksum database and Sigstore use.

A note is text ending in a newline, a blank line, then one line per signature::

    — <key name> base64(key ID (4 bytes) || signature)

The key ID is ``SHA-256(name || "\\n" || type || public key)[:4]`` with type 0x01 for a plain Ed25519 note
signature and 0x04 for a cosignature, whose signed bytes are ``"cosignature/v1\\ntime <t>\\n" || note text``
and whose signature field is ``key ID || uint64 timestamp (big-endian) || Ed25519 signature``. A verifier
key is written ``<name>+<key ID hex>+<base64(type || public key)>`` (a C2SP "vkey").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from iprisk.audit.errors import MalformedNote, NoteSignatureError

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
_DASH = "\u2014 "
MAX_SIGNATURES = 32


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key_id(name: str, kind: int, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + _raw(public)).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise MalformedNote(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


@dataclass(frozen=True)
class NoteVerifier:
    """A public key that may sign notes (type 0x01) or cosign checkpoints (type 0x04), with its name."""

    name: str
    public: Ed25519PublicKey = field(repr=False)
    kind: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.kind not in (ED25519, COSIGNATURE_V1):
            raise MalformedNote(f"signature type {self.kind:#04x} is not supported")

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.kind, self.public)

    @property
    def vkey(self) -> str:
        """The C2SP verifier key string, what an auditor is given to check the log."""
        encoded = base64.b64encode(bytes([self.kind]) + _raw(self.public)).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        try:
            name, key_id, encoded = vkey.split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]), raw[0])
        except (ValueError, IndexError, binascii.Error) as exc:
            raise MalformedNote(f"verifier key {vkey!r}: {exc}") from None
        if verifier.key_id.hex() != key_id:
            raise MalformedNote(f"verifier key {vkey!r}: key ID {key_id} does not match the key")
        return verifier

    def check(self, text: str, signature: bytes) -> int | None:
        """Verify a signature field (key ID stripped); the cosignature's timestamp, None for a plain one."""
        try:
            if self.kind == COSIGNATURE_V1:
                if len(signature) != 8 + 64:
                    raise InvalidSignature
                (timestamp,) = struct.unpack(">Q", signature[:8])
                self.public.verify(signature[8:], _cosigned_message(text, timestamp))
                return int(timestamp)
            self.public.verify(signature, text.encode("utf-8"))
            return None
        except InvalidSignature:
            raise NoteSignatureError(f"signature by {self.name} does not verify") from None


@dataclass(frozen=True)
class NoteSigner:
    """A private key that signs notes (type 0x01) or cosigns checkpoints (type 0x04)."""

    name: str
    key: Ed25519PrivateKey = field(repr=False)
    kind: int = ED25519

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key.public_key(), self.kind)

    def signature_line(self, text: str, now: datetime | None = None) -> str:
        """The signature line for note ``text`` (a cosignature needs the time ``now``)."""
        if self.kind == COSIGNATURE_V1:
            if now is None:
                raise ValueError("a cosignature needs its time")
            timestamp = int(now.timestamp())
            body = struct.pack(">Q", timestamp) + self.key.sign(_cosigned_message(text, timestamp))
        else:
            body = self.key.sign(text.encode("utf-8"))
        signature = base64.b64encode(self.verifier.key_id + body).decode("ascii")
        return f"{_DASH}{self.name} {signature}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text and its signature lines (name, key ID, signature field)."""

    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]

    def __str__(self) -> str:
        lines = "".join(
            f"{_DASH}{name} {base64.b64encode(key_id + sig).decode('ascii')}\n"
            for name, key_id, sig in self.signatures
        )
        return f"{self.text}\n{lines}"


def sign_note(text: str, signer: NoteSigner, now: datetime | None = None) -> str:
    if not text.endswith("\n"):
        raise MalformedNote("note text must end with a newline")
    note = text + "\n" + signer.signature_line(text, now)
    parse_note(note)  # refuses control characters and a text that would not split back the same
    return note


def add_signature(note: str, line: str) -> str:
    """The note with one more signature line (a cosignature) unless it already has it."""
    parsed = parse_note(note)
    new = parse_note("-\n\n" + line).signatures
    return str(Note(parsed.text, parsed.signatures + tuple(s for s in new if s not in parsed.signatures)))


def parse_note(note: str) -> Note:
    """Split a signed note into text and signature lines, checking the C2SP format (not the signatures)."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise MalformedNote("a note must not contain control characters other than newline")
    if not note.endswith("\n"):
        raise MalformedNote("a note must end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("no blank line between the note text and its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"a note needs 1 to {MAX_SIGNATURES} signature lines, found {len(lines)}")
    signatures = []
    for line in lines:
        if not line.startswith(_DASH) or line.count(" ") != 2:
            raise MalformedNote(f"malformed signature line {line!r}")
        name, encoded = line[len(_DASH) :].split(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise MalformedNote(f"signature of {name!r} is not base64") from None
        if len(raw) < 5 or base64.b64encode(raw).decode("ascii") != encoded:
            raise MalformedNote(f"signature of {name!r} is too short or not canonical base64")
        signatures.append((_check_name(name), raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


def verify_note(note: str, verifiers: Sequence[NoteVerifier]) -> tuple[Note, dict[str, int | None]]:
    """The parsed note and, per known key that signed it, the cosignature time (None for plain signatures).

    As C2SP requires: signatures from unknown keys are ignored; a failing signature from a known key rejects
    the whole note; and so does a note that no known key signed.
    """
    parsed = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int | None] = {}
    for name, key_id, signature in parsed.signatures:
        verifier = known.get((name, key_id))
        if verifier is not None:
            verified[name] = verifier.check(parsed.text, signature)
    if not verified:
        raise NoteSignatureError("the note carries no valid signature from a known key")
    return parsed, verified
