"""Every router of the node, in one list: another package's routes (the channel, the dashboard's pages,
referrals) are one line here."""

from __future__ import annotations

from fastapi import APIRouter

from iprisk.web import dashboard, telemetry
from iprisk.web.routes import (
    accounts,
    allocation,
    analysis,
    audit,
    channel,
    health,
    profiles,
    referrals,
    submissions,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    telemetry.router,
    accounts.router,
    submissions.router,
    profiles.router,
    analysis.router,
    allocation.router,
    referrals.router,
    audit.router,
    channel.router,
    dashboard.router,
)
