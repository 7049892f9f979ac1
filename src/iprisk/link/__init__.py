"""The node's end of the channel: what travels between the two nodes, over HTTP, delivered by a worker.

Built on the pure channel core (:mod:`iprisk.exchange`: keys, envelope, receipts, outbox and inbox) and the
operational store (:mod:`iprisk.store`): a :class:`Link` for a node gives sending, receiving and delivery;
message kinds and their handlers are registered in :mod:`iprisk.link.kinds` (statistics, joint profiles,
audit checkpoints, key rotations; referrals next). See ``docs/channel.md``.
"""

from iprisk.link.context import Link, LinkConfig, NodeLike, PeerClient
from iprisk.link.errors import NotYet, PeerRefused, PeerUnreachable
from iprisk.link.http import HttpTransport
from iprisk.link.keys import announce, card_of, retire_key, rotate_keys
from iprisk.link.kinds import Kind, kind, kinds, register, register_source, sources
from iprisk.link.peers import add_peer, refresh_peer, revoke_peer_key
from iprisk.link.queries import answer_query, ask, register_query
from iprisk.link.reconcile import Difference, Reconciliation, compare, manifest, reconcile
from iprisk.link.stats import sync_statistics
from iprisk.link.worker import DeliveryWorker, WorkerPass

__all__ = [
    "DeliveryWorker",
    "Difference",
    "HttpTransport",
    "Kind",
    "Link",
    "LinkConfig",
    "NodeLike",
    "NotYet",
    "PeerClient",
    "PeerRefused",
    "PeerUnreachable",
    "Reconciliation",
    "WorkerPass",
    "add_peer",
    "announce",
    "answer_query",
    "ask",
    "card_of",
    "compare",
    "kind",
    "kinds",
    "manifest",
    "reconcile",
    "refresh_peer",
    "register",
    "register_query",
    "register_source",
    "retire_key",
    "revoke_peer_key",
    "rotate_keys",
    "sources",
    "sync_statistics",
]
