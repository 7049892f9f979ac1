from __future__ import annotations

from hashlib import sha256

import pytest

from iprisk.errors import InvalidInput
from iprisk.referrals.attachments import attachment_problems, check_attachment, sniff

PDF = b"%PDF-1.7\n" + b"0" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def test_an_acceptable_attachment_is_listed_with_its_type_and_digest() -> None:
    ref = check_attachment("scan/B-L 42.pdf", PDF, max_bytes=1000)
    assert (ref.name, ref.media_type, ref.size, ref.sha256) == ("B-L 42.pdf", "application/pdf", 109,
                                                                sha256(PDF).hexdigest())  # fmt: skip
    assert sniff(JPEG) == "image/jpeg" and sniff(b"MZ\x90\x00") is None


@pytest.mark.parametrize(
    ("name", "content", "rules"),
    [
        ("photo.jpg", PDF, ["attachment_type"]),  # the name lies about the content
        ("invoice.pdf", b"MZ\x90\x00 an executable", ["attachment_type"]),
        ("empty.pdf", b"", ["attachment_size", "attachment_type"]),
        ("big.pdf", PDF + b"0" * 1000, ["attachment_size"]),
    ],
)
def test_oversized_or_mistyped_attachments_are_refused(name: str, content: bytes, rules: list[str]) -> None:
    assert [p.rule for p in attachment_problems(name, content, max_bytes=1000)] == rules
    with pytest.raises(InvalidInput) as info:
        check_attachment(name, content, max_bytes=1000)
    assert info.value.problems[0].file == name
