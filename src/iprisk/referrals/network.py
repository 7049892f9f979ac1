"""The network of key ports: the ports of each side that exchange referrals (kind, contact unit, pilot).

A plain registry (one entry per UN/LOCODE) that the coordinator edits and the store keeps
(:class:`iprisk.store.ReferralStore`). The default is drawn from the curated UN/LOCODE list
(:data:`iprisk.codes.PORTS`, in its order of importance): the action plan's network is of the order of 9 sea
and 6 air ports in China and 16 sea and 13 air ports in the EU. :func:`network_ports` is what KA2 port
selection (:mod:`iprisk.allocation.ports`) reads as "the ports already in the network".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date

from iprisk.codes import NETWORK_PORT_KINDS, PORTS, is_well_formed_locode
from iprisk.errors import InvalidValue, UnknownCode
from iprisk.profiles.model import CN_ADMIN, EU_ADMIN, admin_side

#: Ports per side and kind in the default network (the action plan's order of magnitude).
DEFAULT_SIZES: Mapping[tuple[str, str], int] = {
    (CN_ADMIN, "sea"): 9,
    (CN_ADMIN, "air"): 6,
    (EU_ADMIN, "sea"): 16,
    (EU_ADMIN, "air"): 13,
}
#: The first ports of each side and kind in the default network are in the pilot.
DEFAULT_PILOT: Mapping[str, int] = {"sea": 4, "air": 2}


def side_of(locode: str, on: date | None = None) -> str:
    """``EU`` for a port in a member state (on ``on``), ``CN`` for one in China, else its country code."""
    return _side(locode[:2], on or date.today())


@functools.lru_cache(maxsize=1024)  # a country's side on a day does not change; every step asks it often
def _side(country: str, on: date) -> str:
    return admin_side(country, on)


@dataclass(frozen=True, slots=True)
class KeyPort:
    """A port of the network: its UN/LOCODE, side (``EU``/``CN``), kind, contact unit and pilot flag."""

    locode: str
    side: str
    kind: str
    contact_unit: str
    pilot: bool = False

    def label(self, lang: str = "en") -> str:
        """The port's name from the curated list (its LOCODE when it is not listed)."""
        return PORTS[self.locode].label(lang) if self.locode in PORTS else self.locode


def key_port(locode: str, kind: str, contact_unit: str, *, pilot: bool = False) -> KeyPort:
    """A checked :class:`KeyPort`: a well-formed LOCODE of either side, a network kind, a contact unit."""
    code = locode.strip().upper()
    if not is_well_formed_locode(code):
        raise InvalidValue(f"port {locode!r}: not a UN/LOCODE (ISO country code, then 3 of A-Z or 2-9)")
    side = side_of(code)
    if side not in (EU_ADMIN, CN_ADMIN):
        raise InvalidValue(f"port {code}: in neither side of the exchange (country {code[:2]})")
    if kind not in NETWORK_PORT_KINDS:
        raise InvalidValue(f"port {code}: kind {kind!r} is not one of {', '.join(NETWORK_PORT_KINDS)}")
    unit = contact_unit.strip()
    if not unit or len(unit) > 200:
        raise InvalidValue(f"port {code}: the contact unit must be 1 to 200 characters")
    return KeyPort(code, side, kind, unit, pilot)


class PortNetwork(Mapping[str, KeyPort]):
    """Read-only LOCODE -> :class:`KeyPort` mapping; editing returns a new network."""

    def __init__(self, ports: Iterable[KeyPort] = ()):
        self._ports = {p.locode: p for p in ports}

    def __getitem__(self, locode: str) -> KeyPort:
        try:
            return self._ports[locode]
        except (KeyError, TypeError):
            raise UnknownCode("network port", str(locode)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ports)

    def __len__(self) -> int:
        return len(self._ports)

    def __repr__(self) -> str:
        return f"PortNetwork({len(self)} ports)"

    def of_side(self, side: str, *, pilot_only: bool = False) -> list[KeyPort]:
        return [p for p in self._ports.values() if p.side == side and (p.pilot or not pilot_only)]

    def with_port(self, port: KeyPort) -> PortNetwork:
        """This network with ``port`` added, or replacing the entry of its LOCODE."""
        return PortNetwork([*(p for p in self._ports.values() if p.locode != port.locode), port])

    def without(self, locode: str) -> PortNetwork:
        self[locode]  # raises UnknownCode for a port not in the network
        return PortNetwork(p for p in self._ports.values() if p.locode != locode)

    def with_pilot(self, locode: str, pilot: bool) -> PortNetwork:
        return self.with_port(replace(self[locode], pilot=pilot))


def _default_contact(locode: str) -> str:
    return f"IPR desk, {PORTS[locode].name} customs"


@functools.cache  # read-only, and built from the curated list in ~25 ms: read at every draft and warning
def default_network() -> PortNetwork:
    """The plausible default: per side and kind, the first ports of that main kind in the curated list."""
    chosen: list[KeyPort] = []
    for (side, kind), count in DEFAULT_SIZES.items():
        ports = [p for p in PORTS.values() if p.kind == kind and side_of(p.locode) == side][:count]
        chosen += [
            key_port(p.locode, kind, _default_contact(p.locode), pilot=i < DEFAULT_PILOT[kind])
            for i, p in enumerate(ports)
        ]
    return PortNetwork(chosen)


def network_ports(network: PortNetwork, side: str | None = None) -> tuple[str, ...]:
    """The LOCODEs in the network (of ``side`` when given): KA2 port selection's fixed ports."""
    return tuple(p.locode for p in network.values() if side is None or p.side == side)
