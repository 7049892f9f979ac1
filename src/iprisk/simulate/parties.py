"""Pseudonymous parties: traders with heavy-tailed activity, a minority of them infringing, some in networks
that share a declarant and a carrier.

Party ids are plain strings (``T000123``, ``D00042``, ``C0042``, ``S000123``) with no personal data. The pools
are drawn once per world from ``(seed, stream)``, so they do not depend on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.simulate.scenario import Scenario

_STREAM = 4
NETWORK_LOYALTY = 0.8  # a network trader uses the network's declarant / carrier with this probability


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    return pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), width, "0"), ""
    )


@dataclass(frozen=True)
class Parties:
    n_traders: int
    n_declarants: int
    n_carriers: int
    infringing: np.ndarray  # bool per trader
    network: np.ndarray  # network id per trader, -1 when none
    network_declarant: np.ndarray  # per network
    network_carrier: np.ndarray  # per network
    trader_ids: pa.Array
    seller_ids: pa.Array
    declarant_ids: pa.Array
    carrier_ids: pa.Array

    @property
    def n_networks(self) -> int:
        return len(self.network_declarant)

    def networks(self) -> list[dict[str, object]]:
        """Ground truth of the networks: members, shared declarant and carrier."""
        out: list[dict[str, object]] = []
        members = np.flatnonzero(self.network >= 0)
        by_net = np.split(
            members[np.argsort(self.network[members], kind="stable")],
            np.cumsum(np.bincount(self.network[members], minlength=self.n_networks))[:-1],
        )
        for n, idx in enumerate(by_net):
            out.append(
                {
                    "network": n,
                    "traders": [self.trader_ids[int(i)].as_py() for i in idx],
                    "declarant": self.declarant_ids[int(self.network_declarant[n])].as_py(),
                    "carrier": self.carrier_ids[int(self.network_carrier[n])].as_py(),
                }
            )
        return out


def build_parties(s: Scenario, scale: float, seed: int) -> Parties:
    rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM]))
    nt = max(2000, int(s.traders * scale))
    nd = max(200, int(s.declarants * scale))
    nc = max(50, min(s.carriers, int(s.carriers * max(scale, 0.1))))
    infringing = rng.random(nt) < s.infringing_trader_share
    flagged = np.flatnonzero(infringing)
    in_net = flagged[rng.random(len(flagged)) < s.network_share]
    n_net = max(1, int(np.ceil(len(in_net) / max(1, s.network_size))))
    network = np.full(nt, -1, dtype=np.int64)
    network[rng.permutation(in_net)] = np.arange(len(in_net)) % n_net
    return Parties(
        n_traders=nt,
        n_declarants=nd,
        n_carriers=nc,
        infringing=infringing,
        network=network,
        network_declarant=rng.integers(0, nd, n_net),
        network_carrier=rng.integers(0, nc, n_net),
        trader_ids=_ids("T", nt, 7),
        seller_ids=_ids("S", nt, 7),
        declarant_ids=_ids("D", nd, 6),
        carrier_ids=_ids("C", nc, 4),
    )


def heavy_tail_rank(u: np.ndarray, n: int, power: float = 3.0) -> np.ndarray:
    """Rank in ``[0, n)`` with a heavy head: the top 1 % of ranks get ``0.01 ** (1 / power)`` of the draws."""
    return np.minimum((n * u**power).astype(np.int64), n - 1)
