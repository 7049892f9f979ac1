"""The channel between two nodes: keys, signed and encrypted messages, receipts, exactly-once delivery.

Pure library: no HTTP, no SQL. Storage is behind :class:`ChannelStore` (an in-memory one is included), time
behind :class:`Clock`. See ``docs/channel.md`` for the message format, the states and the threat model.
"""

from iprisk.exchange.clock import Clock, ManualClock, SystemClock
from iprisk.exchange.envelope import (
    CLOCK_SKEW,
    Message,
    Opened,
    Sealed,
    check_fresh,
    new_message_id,
    open_sealed,
    seal,
    sign_message,
    verify_signed,
)
from iprisk.exchange.errors import (
    BadReceipt,
    BadSignature,
    ChannelError,
    DecryptionFailed,
    DuplicateMessage,
    FingerprintMismatch,
    KeyFolderError,
    MalformedMessage,
    MessageExpired,
    RetiredKey,
    RevokedKey,
    UnknownKey,
    WrongRecipient,
)
from iprisk.exchange.inbox import Effect, Inbox
from iprisk.exchange.keyring import KeyRing, PeerKey
from iprisk.exchange.keys import (
    NodeIdentity,
    NodeKeys,
    PublicKeys,
    load_identity,
    read_card,
    rotation_announcement,
    save_identity,
)
from iprisk.exchange.memory import MemoryChannelStore, MemoryTransaction
from iprisk.exchange.outbox import DeliveryRound, Outbox, RetryPolicy, Transport, next_wakeup
from iprisk.exchange.receipts import Receipt, sign_receipt, verify_receipt
from iprisk.exchange.store import (
    ChannelStore,
    ChannelTransaction,
    IncomingMessage,
    OutgoingMessage,
    Refusal,
    Status,
)

__all__ = [
    "CLOCK_SKEW",
    "BadReceipt",
    "BadSignature",
    "ChannelError",
    "ChannelStore",
    "ChannelTransaction",
    "Clock",
    "DecryptionFailed",
    "DeliveryRound",
    "DuplicateMessage",
    "Effect",
    "FingerprintMismatch",
    "Inbox",
    "IncomingMessage",
    "KeyFolderError",
    "KeyRing",
    "MalformedMessage",
    "ManualClock",
    "MemoryChannelStore",
    "MemoryTransaction",
    "Message",
    "MessageExpired",
    "NodeIdentity",
    "NodeKeys",
    "Opened",
    "Outbox",
    "OutgoingMessage",
    "PeerKey",
    "PublicKeys",
    "Receipt",
    "Refusal",
    "RetiredKey",
    "RetryPolicy",
    "RevokedKey",
    "Sealed",
    "Status",
    "SystemClock",
    "Transport",
    "UnknownKey",
    "WrongRecipient",
    "check_fresh",
    "load_identity",
    "new_message_id",
    "next_wakeup",
    "open_sealed",
    "read_card",
    "rotation_announcement",
    "save_identity",
    "seal",
    "sign_message",
    "sign_receipt",
    "verify_receipt",
    "verify_signed",
]
