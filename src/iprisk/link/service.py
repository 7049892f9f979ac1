"""The channel in a running node: opened from the settings, answered by the web app, delivered in the
background.

:func:`open_link` opens the node's end of the channel from the settings (``IPRISK_NODE``, the key folder
made by ``iprisk node init``, the operational database); :func:`install_channel` puts it on the web app
(``app.state.link``, which the ``/channel`` routes answer with) and runs a :class:`DeliveryWorker` for the
app's lifetime: started with the app, stopped gracefully with it (the pass in progress finishes; a message it
had claimed and not finished is retried after its lease, by this process after a restart or by another).

:class:`ChannelNode` is what the link needs of a node — its name, database, channel identity, clock,
settings, profile store; ``iprisk.node.Node`` (accounts and the audit trail) has the same attributes and
takes its place when present.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from iprisk.errors import InvalidValue
from iprisk.exchange import Clock, NodeIdentity, SystemClock, load_identity
from iprisk.link.context import Link
from iprisk.link.worker import DeliveryWorker
from iprisk.settings import Settings, get_settings
from iprisk.store import ProfileStore, connect


class NoChannel(InvalidValue):
    """The settings describe no node with channel keys (``IPRISK_NODE`` unset, or no keys yet)."""


@dataclass
class ChannelNode:
    """What a :class:`Link` needs of a node, opened from the settings."""

    name: str
    engine: Engine
    identity: NodeIdentity
    clock: Clock
    settings: Settings
    profiles: ProfileStore
    audit: Any = None
    audit_keys: Any = None

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
    ) -> ChannelNode:
        """The node of ``settings`` (its database, or ``engine``); :class:`NoChannel` when it has none."""
        settings = settings or get_settings()
        if settings.node is None:
            raise NoChannel("IPRISK_NODE is not set: this process is no node")
        folder = settings.key_folder
        if not (folder / "identity.json").exists():
            raise NoChannel(f"{folder} holds no channel keys (IPRISK_KEY_FOLDER): run iprisk node init")
        passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
        identity = load_identity(folder, passphrase)
        if identity.node != settings.node:
            raise NoChannel(f"IPRISK_NODE is {settings.node} but the keys in {folder} are {identity.node}'s")
        engine = engine if engine is not None else connect(settings.database)
        return cls(
            settings.node, engine, identity, clock or SystemClock(), settings, ProfileStore(engine)
        )  # fmt: skip


def open_link(settings: Settings | None = None, *, engine: Engine | None = None) -> Link:
    """The node's link, from the settings (raises :class:`NoChannel` when the process is no node)."""
    return Link(ChannelNode.open(settings, engine=engine))


def attach_to_profiles(store: ProfileStore) -> Link | None:
    """Make the joint profile steps taken through ``store`` travel to the peer, when this process is a node
    (``iprisk profiles approve`` at a node queues the approval in the same transaction); else nothing."""
    try:
        node = ChannelNode.open(engine=store.engine)
    except NoChannel:
        return None
    node.profiles = store
    return Link(node)


def install_channel(app: FastAPI, settings: Settings, node: Any = None) -> Link | None:
    """Answer the channel on ``app`` and deliver in the background while it runs, when the settings describe
    a node with keys (``node``: the node already opened, e.g. ``iprisk.node.Node``); the link, or None."""
    try:
        link = Link(node) if node is not None else open_link(settings)
    except NoChannel:
        return None
    app.state.link = link
    worker = DeliveryWorker(link)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        worker.start()
        try:
            async with inner(running) as state:
                yield state
        finally:
            worker.stop(timeout_s=settings.shutdown_timeout_s)
            link.close()
            if node is None:  # the node was opened here: its database is closed here too
                link.node.engine.dispose()

    app.router.lifespan_context = lifespan
    return link
