"""What a warning must satisfy beyond its own fields: the network, the sides, the date and the legal basis.

Same rules and :class:`~iprisk.errors.Problem` rows as the document's own validation
(:data:`iprisk.formats.referral_fields.REFERRAL_RULES`); :func:`check_warning` raises
:class:`~iprisk.errors.InvalidInput` listing every problem, so nothing is stored half-way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from iprisk.errors import InvalidInput, Problem
from iprisk.formats.referrals import ReferralWarning, read_warning
from iprisk.referrals.network import PortNetwork
from iprisk.referrals.parties import minimise, names_allowed


def _port_problems(warning: ReferralWarning, network: PortNetwork, sender_side: str) -> list[Problem]:
    problems = []
    for field, expected in (("sending_port", sender_side), ("receiving_port", None)):
        code = getattr(warning, field)
        if code not in network:
            message = "not a port of the network of key ports"
            problems.append(Problem("network_port", message, None, field, code))
            continue
        side = network[code].side
        if expected is not None and side != expected:
            message = f"the sending port is on side {side}; this node sends for side {sender_side}"
            problems.append(Problem("port_side", message, None, field, code))
        if expected is None and side == sender_side:
            message = f"the receiving port must be on the other side than {sender_side}"
            problems.append(Problem("port_side", message, None, field, code))
    if warning.receiving_port not in (warning.departure_port, warning.arrival_port):
        message = (
            f"the receiving port is neither the departure ({warning.departure_port}) nor the arrival "
            f"({warning.arrival_port}) port of the consignment"
        )
        problems.append(Problem("port_route", message, None, "receiving_port", warning.receiving_port))
    return problems


def warning_problems(
    warning: ReferralWarning, network: PortNetwork, *, sender_side: str, today: date
) -> list[Problem]:
    """Every problem of ``warning`` as sent by side ``sender_side`` on ``today`` (empty when none)."""
    problems = _port_problems(warning, network, sender_side)
    if warning.expiry < today:
        message = f"the warning expired on {warning.expiry} (today is {today})"
        problems.append(Problem("expired", message, None, "expiry", str(warning.expiry)))
    if not names_allowed(warning.legal_basis):
        for i, party in enumerate(warning.parties):
            if party.readable:
                message = (
                    f"legal basis {warning.legal_basis} allows keyed identifiers only: minimise the "
                    "parties with the party key before sending"
                )
                problems.append(Problem("party_data", message, None, f"parties[{i}]", party.role))
    return problems


def check_warning(warning: ReferralWarning, network: PortNetwork, *, sender_side: str, today: date) -> None:
    """Raise :class:`InvalidInput` with every problem of ``warning`` (see :func:`warning_problems`)."""
    problems = warning_problems(warning, network, sender_side=sender_side, today=today)
    if problems:
        raise InvalidInput(problems, source=f"referral {warning.reference or warning.id or ''}".strip())


def prepare_warning(
    data: Any,
    network: PortNetwork,
    *,
    sender_side: str,
    today: date,
    party_key: Callable[[], bytes] | None = None,
    source: str | None = None,
) -> ReferralWarning:
    """A warning ready to draft from parsed JSON: read, parties keyed when the legal basis asks for it
    (``party_key`` gives the key, read only then), then checked against the network, the side and the date."""
    warning = read_warning(data, source=source)
    readable = any(p.readable for p in warning.parties)
    if party_key is not None and readable and not names_allowed(warning.legal_basis):
        warning = minimise(warning, party_key())
    check_warning(warning, network, sender_side=sender_side, today=today)
    return warning
