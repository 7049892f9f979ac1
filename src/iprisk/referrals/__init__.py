"""KA2 case referrals between key ports: the network, the lifecycle, party-data minimisation and the KPIs.

The documents (warning, acknowledgement, feedback, seizure report) are defined once in
:mod:`iprisk.formats.referrals`; the store is :class:`iprisk.store.ReferralStore`. Everything here is pure:
time is an argument, so deadlines, reminders and expiry are tested with a controllable clock.
"""

from __future__ import annotations

from iprisk.referrals.attachments import attachment_problems, check_attachment, sniff
from iprisk.referrals.checks import check_warning, prepare_warning, warning_problems
from iprisk.referrals.errors import NotPermitted, StepOutOfOrder
from iprisk.referrals.kpis import (
    KPI_COLUMNS,
    STATE_OF_PLAY_KPIS,
    KpiFacts,
    kpis,
    referral_rows,
    rows_of_facts,
    rows_of_sides,
    state_of_play_kpis,
    state_of_play_of_rows,
)
from iprisk.referrals.labels import feedback_labels, hit_rates, labelled_cases
from iprisk.referrals.lifecycle import (
    Deadlines,
    Event,
    Referral,
    acknowledge,
    add_working_days,
    close,
    draft,
    give_feedback,
    incoming,
    receive,
    report_seizure,
    send,
    summary,
    tick,
)
from iprisk.referrals.network import KeyPort, PortNetwork, default_network, key_port, network_ports, side_of
from iprisk.referrals.parties import (
    load_party_key,
    minimise,
    names_allowed,
    new_party_key,
    party_key,
    write_party_key,
)
from iprisk.referrals.permissions import Actor, Officer, kpi_sides, may_see, require, require_coordinator
from iprisk.referrals.proposals import propose_warnings
from iprisk.referrals.simulated import ReferralWorld, SimulatedReferral, simulate_referrals
from iprisk.referrals.watch import flag_scores, watch_matches

__all__ = [
    "KPI_COLUMNS",
    "STATE_OF_PLAY_KPIS",
    "Actor",
    "Deadlines",
    "Event",
    "KeyPort",
    "KpiFacts",
    "NotPermitted",
    "Officer",
    "PortNetwork",
    "Referral",
    "ReferralWorld",
    "SimulatedReferral",
    "StepOutOfOrder",
    "acknowledge",
    "add_working_days",
    "attachment_problems",
    "check_attachment",
    "check_warning",
    "close",
    "default_network",
    "draft",
    "feedback_labels",
    "flag_scores",
    "give_feedback",
    "hit_rates",
    "incoming",
    "key_port",
    "kpi_sides",
    "kpis",
    "labelled_cases",
    "load_party_key",
    "may_see",
    "minimise",
    "names_allowed",
    "network_ports",
    "new_party_key",
    "party_key",
    "prepare_warning",
    "propose_warnings",
    "receive",
    "referral_rows",
    "report_seizure",
    "require",
    "require_coordinator",
    "rows_of_facts",
    "rows_of_sides",
    "send",
    "side_of",
    "simulate_referrals",
    "sniff",
    "state_of_play_kpis",
    "state_of_play_of_rows",
    "summary",
    "tick",
    "warning_problems",
    "watch_matches",
    "write_party_key",
]
