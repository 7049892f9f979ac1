"""Message kinds and their handlers, in one place: a new kind is a payload format and a handler.

A :class:`Kind` names what a message is (``stats``, ``profile.step``, ``audit.checkpoint``, ...), how long it
may take to arrive, its content type, and the handler that applies it at the receiver. The handler runs in the
inbox's unit of work (``tx``: the channel store's transaction, with ``tx.connection`` and ``tx.session`` for
the node's own tables): what it writes commits with the message and its receipt, or not at all. A handler
refuses a message for good by raising an ``IpriskError`` (the sender gets a signed "refused" receipt) and
asks for a later retry by raising :class:`iprisk.link.errors.NotYet`.

The built-in kinds register themselves when their module is imported; :func:`kinds` imports them. Issue 11's
referrals (warning, acknowledgement, feedback) register the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from iprisk.errors import NotFound
from iprisk.exchange import Opened

if TYPE_CHECKING:
    from iprisk.link.context import Link

#: applies a message at the receiver: (the receiving node's link, the unit of work, the opened message)
Handler = Callable[["Link", Any, Opened], None]

#: the modules whose import registers the built-in kinds
BUILTIN_MODULES = (
    "iprisk.link.stats",
    "iprisk.link.profiles",
    "iprisk.link.checkpoints",
    "iprisk.link.keys",
    "iprisk.link.reconcile",
    "iprisk.link.probe",
    "iprisk.link.referrals",
)


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    handler: Handler
    ttl: timedelta = timedelta(days=14)
    content_type: str = "application/json"


_KINDS: dict[str, Kind] = {}
#: what fills the outbox from state kept elsewhere (the warehouse's submission log, the audit log): run by
#: the delivery worker before each pass; each returns what it queued
Source = Callable[["Link"], list[str]]
_SOURCES: dict[str, Source] = {}


def register(kind: Kind) -> Kind:
    """Add a message kind; a second kind with the same name is an error (two handlers for one kind)."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"message kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind
    return kind


def register_source(name: str, source: Source) -> None:
    _SOURCES[name] = source


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def kinds() -> Mapping[str, Kind]:
    """Every registered kind, the built-in ones included."""
    _load_builtins()
    return MappingProxyType(_KINDS)


def sources() -> Mapping[str, Source]:
    """Every registered source, in registration order."""
    _load_builtins()
    return MappingProxyType(_SOURCES)


def kind(name: str) -> Kind:
    found = kinds().get(name)
    if found is None:
        raise NotFound("message kind", f"{name} (known: {', '.join(sorted(_KINDS))})")
    return found
