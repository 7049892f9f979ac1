"""The errors of the channel between nodes.

Every refusal has its own class, so that the node can count refusals by cause and a test can assert which
check caught a tampered message. They all derive from :class:`ChannelError` (an ``IpriskError`` and a
``ValueError``); the lead folds them into the error map of ``iprisk.errors``.
"""

from __future__ import annotations

from iprisk.errors import IpriskError


class ChannelError(IpriskError, ValueError):
    """A message, receipt or key did not check out; nothing was applied."""


class MalformedMessage(ChannelError):
    """Not a well-formed sealed message, signed message or receipt (encoding, header, fields)."""


class DecryptionFailed(ChannelError):
    """The ciphertext does not decrypt with our key: altered in transit, or not encrypted to us."""


class BadSignature(ChannelError):
    """The signature does not verify with the key named in the message."""


class UnknownKey(ChannelError):
    """The message names a key that is not pinned for its sender (or a sender we have no keys for)."""


class RevokedKey(ChannelError):
    """The message was signed by a revoked key: refused whatever its date."""


class RetiredKey(ChannelError):
    """The message was signed by a rotated-out key after the end of its overlap period."""


class WrongRecipient(ChannelError):
    """The message is addressed (signed for, or encrypted to) another node."""


class MessageExpired(ChannelError):
    """The message arrived after its expiry."""


class BadReceipt(ChannelError):
    """A receipt does not match the message it claims to acknowledge (unknown id, digest, parties)."""


class FingerprintMismatch(ChannelError):
    """A peer's published keys do not have the fingerprint the operator pinned."""


class KeyFolderError(IpriskError, OSError):
    """The key folder is missing, incomplete, unreadable, or the passphrase is wrong."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class DuplicateMessage(IpriskError, KeyError):
    """A store was asked to insert a message id it already holds (the inbox answers the stored receipt)."""

    def __init__(self, message_id: str):
        self.message_id = message_id
        super().__init__(f"message {message_id} is already stored")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])
