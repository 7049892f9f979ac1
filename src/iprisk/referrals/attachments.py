"""Attachments of a warning (documents, photos): size and type checked by content, not by name alone.

The type is sniffed from the file's signature (its first bytes), then the name's extension must agree with
it: a ``photo.jpg`` that is a PDF, or an executable renamed ``.pdf``, is refused. The content then travels
and is stored encrypted with the message (the channel's envelope); here only what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256
from pathlib import PurePath

from iprisk.errors import InvalidInput, Problem
from iprisk.formats.referrals import AttachmentRef, ReferralWarning

#: Allowed media types: their signatures and the extensions a name may carry.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
}


def sniff(content: bytes) -> str | None:
    """The media type of ``content`` from its signature, ``None`` when it is none of the allowed ones."""
    return next((media for magic, media in _SIGNATURES if content.startswith(magic)), None)


def attachment_problems(name: str, content: bytes, *, max_bytes: int) -> list[Problem]:
    """Every problem of one attachment (rules ``attachment_size``, ``attachment_type``), named by file."""
    problems = []
    if not content or len(content) > max_bytes:
        problems.append(
            Problem(
                "attachment_size",
                f"an attachment holds 1 to {max_bytes} bytes (setting referral_attachment_max_bytes)",
                column="attachments",
                value=str(len(content)),
                file=name,
            )
        )
    media = sniff(content)
    suffix = PurePath(name).suffix.lower()
    if media is None:
        message = "the content is not a PDF, JPEG, PNG or TIFF file"
        problems.append(Problem("attachment_type", message, column="attachments", value=suffix, file=name))
    elif suffix not in EXTENSIONS[media]:
        message = f"the content is {media} but the name ends in {suffix or 'nothing'}"
        problems.append(Problem("attachment_type", message, column="attachments", value=suffix, file=name))
    return problems


def check_attachment(name: str, content: bytes, *, max_bytes: int) -> AttachmentRef:
    """The warning's entry for an acceptable attachment; :class:`InvalidInput` names what is wrong."""
    problems = attachment_problems(name, content, max_bytes=max_bytes)
    if problems:
        raise InvalidInput(problems, source=name)
    return AttachmentRef.model_validate(
        {"name": PurePath(name).name, "media_type": sniff(content), "size": len(content),
         "sha256": sha256(content).hexdigest()}
    )  # fmt: skip


def content_problems(
    warning: ReferralWarning, contents: Mapping[str, bytes], *, max_bytes: int
) -> list[Problem]:
    """Every problem of the contents sent with ``warning``: each attachment it lists must come with content
    of an allowed type and size, whose size and SHA-256 are the ones listed; nothing else may come."""
    problems = []
    listed = {ref.name: ref for ref in warning.attachments}
    for name in sorted(set(contents) - set(listed)):
        message = "content sent for an attachment the warning does not list"
        problems.append(Problem("attachment_listed", message, column="attachments", file=name))
    for name, ref in listed.items():
        content = contents.get(name)
        if content is None:
            message = "the warning lists this attachment but its content is missing"
            problems.append(Problem("attachment_listed", message, column="attachments", file=name))
            continue
        found = attachment_problems(name, content, max_bytes=max_bytes)
        problems.extend(found)
        digest = sha256(content).hexdigest()
        if not found and (ref.size, ref.sha256, ref.media_type) != (len(content), digest, sniff(content)):
            message = "the content is not the one listed (size, SHA-256 or type differs)"
            problems.append(
                Problem("attachment_listed", message, column="attachments", value=digest, file=name)
            )
    return problems
