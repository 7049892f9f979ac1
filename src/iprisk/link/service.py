"""The channel in a running node: opened with the node, answered by the web app, delivered in the background.

:func:`open_link` opens the node of the settings (:class:`iprisk.node.Node`: its keys, database, audit trail
and profile store) and its end of the channel; :func:`install_channel` puts a node's link on the web app
(``app.state.link``, which the ``/channel`` routes answer with) and runs a :class:`DeliveryWorker` for the
app's lifetime: started with the app, stopped gracefully with it (the pass in progress finishes; a message it
had claimed and not finished is retried after its lease, by this process after a restart or by another).
Everything the channel does is recorded in the node's audit log, in the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, update

from iprisk.link.context import Link
from iprisk.link.metrics import COLLECTOR, expose
from iprisk.link.worker import DeliveryWorker
from iprisk.node import Node
from iprisk.node.backup import RESTORE_HOOKS, Manifest
from iprisk.settings import Settings, get_settings
from iprisk.store import ProfileStore
from iprisk.store.channel import OutgoingRow


def open_link(settings: Settings | None = None) -> Link:
    """The link of the node the settings describe (raises the node's error naming a setting at fault)."""
    return Link(Node.open(settings))


def attach_to_profiles(store: ProfileStore) -> Link | None:
    """When this process is a node and ``store`` is its database, make the joint profile steps taken through
    ``store`` travel to the peer and be audited (``iprisk profiles approve`` at a node queues the approval
    in the same transaction); else leave the store as it is."""
    settings = get_settings()
    if settings.node is None or not (settings.key_folder / "identity.json").exists():
        return None
    node = Node.open(settings)
    if node.engine.url.render_as_string() != store.engine.url.render_as_string():
        node.close()  # another database (--db): not this node's
        return None
    node.engine.dispose()
    node.engine = store.engine
    node.profiles = store
    store.audit = node.audit
    return Link(node)


def install_channel(app: FastAPI, node: Node | Any) -> Link:
    """Answer the channel on ``app`` for ``node`` and deliver in the background while the app runs."""
    link = Link(node)
    app.state.link = link
    worker = DeliveryWorker(link)
    from iprisk.web.telemetry import REGISTRY  # here: the web package imports this module

    expose(link, REGISTRY)  # messages by state, retries, refusals, delivery latency on /metrics
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with inner(running) as state:  # the node is open inside, closed after the worker stops
            worker.start()
            try:
                yield state
            finally:
                worker.stop(timeout_s=node.settings.shutdown_timeout_s)
                COLLECTOR.forget(link)
                link.close()

    app.router.lifespan_context = lifespan
    return link


def resume_in_flight(engine: Engine, _manifest: Manifest) -> None:
    """After a restore, every message not receipted yet is due now: those in flight at the backup are sent
    again at once (the peer answers those it had applied with their stored receipts, applying none twice)."""
    with engine.begin() as connection:  # due since they were made: whatever the clock, they are due now
        connection.execute(
            update(OutgoingRow)
            .where(OutgoingRow.status.in_(("queued", "sent")))
            .values(next_attempt=OutgoingRow.created)
        )


if resume_in_flight not in RESTORE_HOOKS:
    RESTORE_HOOKS.append(resume_in_flight)

__all__ = ["attach_to_profiles", "install_channel", "open_link", "resume_in_flight"]
