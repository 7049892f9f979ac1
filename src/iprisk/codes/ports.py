"""Ports and offices: a curated list of UN/LOCODE locations that matter for EU-China trade.

The list is data (``codes/data/ports.csv``, shipped in the package): the main Chinese sea ports, airports and
China-Europe rail terminals, Hong Kong, the main EU sea ports and airports, the EU express and postal hubs,
and the EU rail terminals. It is not the full UN/LOCODE table: a well-formed code that is not listed is
still a valid office (the readers accept it with a warning); the predicates here tell the two cases apart.

One row per LOCODE. ``kind`` is the row's main mode (what the location is best known for; for a city code
that also names its airport, the mode that carries most EU-China goods there), ``kinds`` lists every mode
the location serves, main mode first. ``PORTS`` is keyed by LOCODE; use :func:`ports_for` to select by mode.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files

import pyarrow as pa
import pyarrow.compute as pc

from iprisk.codes.countries import COUNTRY_CODES, is_country_array
from iprisk.errors import UnknownCode

PORT_KINDS: frozenset[str] = frozenset({"sea", "air", "rail", "post", "express", "road"})

_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")


def is_well_formed_locode(code: object) -> bool:
    """True for a 5-character UN/LOCODE: a valid ISO 3166-1 country code, then 3 of ``A-Z`` / ``2-9``.

    Exact match (upper-case, no spaces); the country prefix must be a known country (see
    :data:`~iprisk.codes.countries.COUNTRY_CODES`).
    """
    return isinstance(code, str) and _LOCODE.fullmatch(code) is not None and code[:2] in COUNTRY_CODES


def is_well_formed_locode_array(
    codes: pa.Array | pa.ChunkedArray | Sequence[str | None],
) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`is_well_formed_locode` over a pyarrow string array: boolean, null stays null."""
    arr = codes if isinstance(codes, pa.Array | pa.ChunkedArray) else pa.array(codes, pa.string())
    shape = pc.match_substring_regex(arr, r"^[A-Z]{2}[A-Z2-9]{3}$")
    return pc.and_(shape, is_country_array(pc.utf8_slice_codeunits(arr, 0, 2)))


@dataclass(frozen=True, slots=True)
class Port:
    """A location: UN/LOCODE, English and Chinese name, country, main kind and WGS84 coordinates."""

    locode: str
    name: str
    name_zh: str
    country: str
    kind: str
    lat: float
    lon: float
    #: every mode the location serves, main ``kind`` first
    kinds: tuple[str, ...] = field(default=())

    def label(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name

    def serves(self, kind: str) -> bool:
        """True when the location handles goods carried by ``kind`` (main mode or another)."""
        return kind == self.kind or kind in self.kinds


class PortList(Mapping[str, Port]):
    """Read-only LOCODE -> :class:`Port` mapping, in file order; unknown keys raise ``UnknownCode``."""

    def __init__(self, ports: list[Port]):
        self._ports = {p.locode: p for p in ports}

    def __getitem__(self, locode: str) -> Port:
        try:
            return self._ports[locode]
        except (KeyError, TypeError):
            raise UnknownCode("port", str(locode)) from None

    def __contains__(self, locode: object) -> bool:
        return isinstance(locode, str) and locode in self._ports

    def __iter__(self) -> Iterator[str]:
        return iter(self._ports)

    def __len__(self) -> int:
        return len(self._ports)

    def __repr__(self) -> str:
        return f"PortList({len(self)} ports)"


def _parse(text: str, source: str) -> list[Port]:
    """Parse and check the ports file; a broken row is a packaging bug, so fail loudly at import."""
    ports: list[Port] = []
    seen: set[str] = set()
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        locode = row["locode"]
        kinds = tuple(k for k in row["kinds"].split("|") if k) or (row["kind"],)
        where = f"{source} line {line_no} ({locode!r})"
        if not is_well_formed_locode(locode):
            raise ValueError(f"{where}: malformed UN/LOCODE")
        if locode in seen:
            raise ValueError(f"{where}: duplicate UN/LOCODE")
        if row["kind"] not in PORT_KINDS or not set(kinds) <= PORT_KINDS or kinds[0] != row["kind"]:
            raise ValueError(f"{where}: kind/kinds must be in {sorted(PORT_KINDS)}, main kind first")
        lat, lon = float(row["lat"]), float(row["lon"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"{where}: coordinates out of range")
        seen.add(locode)
        ports.append(
            Port(
                locode=locode,
                name=row["name"],
                name_zh=row["name_zh"],
                country=locode[:2],
                kind=row["kind"],
                lat=lat,
                lon=lon,
                kinds=kinds,
            )
        )
    return ports


def _load() -> PortList:
    resource = files("iprisk.codes") / "data" / "ports.csv"
    return PortList(_parse(resource.read_text(encoding="utf-8"), "iprisk/codes/data/ports.csv"))


PORTS: Mapping[str, Port] = _load()
"""The curated ports, keyed by UN/LOCODE."""


def is_known_port(code: object) -> bool:
    """True when ``code`` is a LOCODE in the curated :data:`PORTS` list."""
    return code in PORTS


def port(locode: str) -> Port:
    """The listed port ``locode``; raises :class:`~iprisk.errors.UnknownCode` when it is not listed."""
    return PORTS[locode]


def ports_for(kind: str | None = None, country: str | None = None, *, main_only: bool = False) -> list[Port]:
    """Listed ports serving mode ``kind`` (any when None) in ``country`` (any when None), in list order.

    ``main_only=True`` keeps only ports whose main kind is ``kind``.
    """
    if kind is not None and kind not in PORT_KINDS:
        raise UnknownCode("port kind", kind)
    return [
        p
        for p in PORTS.values()
        if (country is None or p.country == country)
        and (kind is None or (p.kind == kind if main_only else p.serves(kind)))
    ]
