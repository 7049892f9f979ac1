"""Strict base64url and compact-serialisation checks shared by the envelope and the receipts.

Python's base64 decoder accepts non-canonical text (other padding bits, stray characters), so two different
byte strings on the wire could decode to the same token: a flipped bit in the last character of a signature
would go unnoticed. Every segment is therefore checked to be the canonical encoding of what it decodes to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from iprisk.exchange.errors import MalformedMessage

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: by the length of a segment modulo 4: the low bits of its last character that encode no data
_UNUSED_BITS = {0: 0, 2: 0b1111, 3: 0b11}


def b64url_decode(segment: str, what: str) -> bytes:
    """Decode one unpadded base64url segment, refusing anything but its canonical form (whose last
    character leaves the bits that encode no data at zero)."""
    tail = len(segment) % 4
    if tail == 1 or not _B64URL.fullmatch(segment):
        raise MalformedMessage(f"{what}: not base64url")
    if tail and _ALPHABET.index(segment[-1]) & _UNUSED_BITS[tail]:
        raise MalformedMessage(f"{what}: non-canonical base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def split_compact(token: str | bytes, count: int, what: str) -> list[str]:
    """The ``count`` dot-separated segments of a JOSE compact serialisation (ASCII), not yet decoded."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedMessage(f"{what}: not ASCII") from None
    parts = token.split(".")
    if len(parts) != count:
        raise MalformedMessage(f"{what}: {len(parts)} segments, expected {count}")
    return parts


def compact_segments(token: str | bytes, count: int, what: str) -> list[str]:
    """The ``count`` dot-separated segments of a JOSE compact serialisation, each checked canonical."""
    parts = split_compact(token, count, what)
    for i, part in enumerate(parts):
        b64url_decode(part, f"{what} segment {i + 1}")
    return parts


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """Bytes holding a JSON object (a protected header, a receipt or card body)."""
    try:
        value = json.loads(data)
    except ValueError:  # UnicodeDecodeError included
        raise MalformedMessage(f"{what}: not JSON") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what}: not a JSON object")
    return value


def json_segment(segment: str, what: str) -> dict[str, Any]:
    """A base64url segment holding a JSON object."""
    return json_object(b64url_decode(segment, what), what)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no blanks, UTF-8: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_b64url(data: bytes | str) -> str:
    """SHA-256 of ``data`` (a string as ASCII/UTF-8), base64url without padding: how digests are written."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return b64url_encode(hashlib.sha256(raw).digest())


def to_timestamp(moment: datetime) -> int:
    """Whole seconds since the epoch (JWT NumericDate) of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: channel times must carry a time zone")
    return int(moment.timestamp())


def from_timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a Z, as written in receipts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str, what: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise MalformedMessage(f"{what}: not an RFC 3339 UTC time: {text!r}") from None
