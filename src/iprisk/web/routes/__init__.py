"""Every router of the node, in one list: another package's routes (the channel, the dashboard's pages,
referrals) are one line here."""

from __future__ import annotations

from fastapi import APIRouter

from iprisk.web.routes import health

ROUTERS: tuple[APIRouter, ...] = (health.router,)
