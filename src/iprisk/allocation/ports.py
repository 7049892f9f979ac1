"""KA2 port selection: which ports join the direct-exchange network, as a maximal covering problem.

The network links ports of the two sides (EU member states' ports and China's). A lane between a Chinese
port and an EU port is *covered* when both of its ends are in the network: the two administrations can then
exchange on it. Each lane weighs its risk: its seizure cases (both sides' detentions on it), or its traffic
times its incidence shrunk towards the average (so that a lane of few consignments with one case does not
outweigh a main lane).

:func:`select_ports` chooses ``count`` ports on one side, the ports already in the network fixed, to cover
the most risk: a small integer program solved with HiGHS (a binary per port, a coverage variable per lane
no larger than either end's). The other side is either given (its network ports) or chosen together, with
as many ports (``partner_count``). The *coverage curve* solves it for every size up to ``count`` and shows
what each added port brings; with both sides chosen together the best networks need not be nested, so a
step may also drop a port.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy.optimize import Bounds as VarBounds
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_matrix

from iprisk.allocation.strata import as_ibis
from iprisk.analysis.concentration import concentration
from iprisk.codes import eu_members
from iprisk.errors import InvalidValue
from iprisk.lanes import SEPARATOR
from iprisk.periods import Quarter

SIDES = ("EU", "CN")
WEIGHTS = ("cases", "traffic")
#: Pseudo-cases of the average incidence in a lane's own, for the ``traffic`` weight.
INCIDENCE_PRIOR = 5.0


@dataclass(frozen=True)
class PortSelection:
    """The chosen network and how much risk it covers, with the coverage curve."""

    side: str
    ports: tuple[str, ...]  # the network's ports on ``side`` (fixed ones included)
    partners: tuple[str, ...]  # its ports on the other side
    fixed: tuple[str, ...]
    covered: float  # risk on the lanes between them
    total: float  # risk on every EU-China lane
    curve: pd.DataFrame  # size, ports, partners (when chosen too), added, dropped, covered, share, gain
    lanes: pd.DataFrame  # departure_port, arrival_port, cn_port, eu_port, weight, covered
    seconds: float

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total > 0 else 0.0


def port_side(port: str, on: date) -> str:
    """``CN`` for a port in China, ``EU`` for one in a member state on day ``on``, else ``""``."""
    country = port[:2]
    if country == "CN":
        return "CN"
    return "EU" if country in eu_members(on) else ""


def lane_risk(
    seizures: ir.Table | pd.DataFrame,
    trade: ir.Table | pd.DataFrame | None = None,
    *,
    weight: str = "cases",
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """The EU-China lanes with their risk: ``departure_port``, ``arrival_port``, ``cn_port``, ``eu_port``,
    ``cases``, ``consignments``, ``weight`` (``cases``, or ``traffic``: consignments times the lane's
    incidence shrunk towards the average by :data:`INCIDENCE_PRIOR` pseudo-cases)."""
    if weight not in WEIGHTS:
        raise InvalidValue(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    if weight == "traffic" and trade is None:
        raise InvalidValue("the traffic weight needs the trade table")
    table = as_ibis(seizures)
    lanes = concentration(
        table, "lane", trade=None if trade is None else as_ibis(trade), start=start, end=end
    )
    ends = lanes["lane"].astype(str).str.split(SEPARATOR, n=1, regex=False)
    lanes["departure_port"], lanes["arrival_port"] = ends.str[0], ends.str[1]
    last = end or table.aggregate(q=table.quarter.max()).to_pandas()["q"].iloc[0]
    on = Quarter.parse(str(last)).end if last else date.today()  # membership when the data were collected
    dep = lanes["departure_port"].map(lambda p: port_side(str(p), on))
    arr = lanes["arrival_port"].map(lambda p: port_side(str(p), on))
    both = ((dep == "CN") & (arr == "EU")) | ((dep == "EU") & (arr == "CN"))
    out = lanes[both].copy()
    out["cn_port"] = np.where(dep[both] == "CN", out["departure_port"], out["arrival_port"])
    out["eu_port"] = np.where(dep[both] == "EU", out["departure_port"], out["arrival_port"])
    out["consignments"] = out["consignments"].fillna(0.0)
    if weight == "cases":
        out["weight"] = out["cases"].astype(float)
    else:
        rate = out["cases"].sum() / max(float(out["consignments"].sum()), 1.0)
        incidence = (out["cases"] + INCIDENCE_PRIOR) / (
            out["consignments"] + INCIDENCE_PRIOR / max(rate, 1e-12)
        )
        out["weight"] = out["consignments"] * incidence
    cols = ["departure_port", "arrival_port", "cn_port", "eu_port", "cases", "consignments", "weight"]
    return out[cols].sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)


def select_ports(
    lanes: pd.DataFrame,
    *,
    side: str,
    count: int,
    fixed: Sequence[str] = (),
    partners: Sequence[str] | None = None,
    partner_count: int | None = None,
    time_limit: float = 60.0,
) -> PortSelection:
    """Choose ``count`` ports on ``side`` (fixed ports included) to cover the most lane risk.

    ``lanes``: :func:`lane_risk`'s table (``cn_port``, ``eu_port``, ``weight``). ``fixed``: ports already in
    the network (of either side). The other side's network is ``partners`` plus its fixed ports; with
    ``partner_count`` it is chosen together, that many ports; with neither, every port of the other side.
    """
    t0 = time.perf_counter()
    if side not in SIDES:
        raise InvalidValue(f"side must be EU or CN, not {side!r}")
    other = "CN" if side == "EU" else "EU"
    col, other_col = f"{side.lower()}_port", f"{other.lower()}_port"
    candidates = sorted(set(lanes[col]))
    fixed_side = sorted(p for p in fixed if p in set(candidates) or _side_of(p) == side)
    fixed_other = sorted(set(fixed) - set(fixed_side))
    if count < max(len(fixed_side), 1):
        raise InvalidValue(
            f"count ({count}) must be at least 1 and the fixed ports of {side} ({len(fixed_side)})"
        )
    if count > len(candidates) + len([p for p in fixed_side if p not in candidates]):
        raise InvalidValue(
            f"count ({count}) is more than the {len(candidates)} {side} ports on EU-China lanes"
        )
    if partner_count is None:
        others = sorted(set(partners if partners is not None else lanes[other_col]) | set(fixed_other))
        lanes_in = lanes[lanes[other_col].isin(others)]
    else:
        others = sorted(set(lanes[other_col]) | set(fixed_other))
        lanes_in = lanes
    total = float(lanes["weight"].sum())
    rows = []
    previous: tuple[str, ...] = ()
    best: tuple[tuple[str, ...], tuple[str, ...], float] = ((), (), 0.0)
    for size in range(max(len(fixed_side), 1), count + 1):
        chosen, chosen_other, covered = _solve(
            lanes_in,
            col,
            other_col,
            candidates,
            others,
            size,
            fixed_side,
            fixed_other,
            partner_count,
            time_limit,
        )
        rows.append(
            {
                "size": size,
                "ports": ", ".join(chosen),
                "partners": ", ".join(chosen_other) if partner_count is not None else "",
                "added": ", ".join(sorted(set(chosen) - set(previous))),
                "dropped": ", ".join(sorted(set(previous) - set(chosen))),
                "covered": covered,
                "share": covered / total if total > 0 else 0.0,
            }
        )
        previous, best = chosen, (chosen, chosen_other, covered)
    curve = pd.DataFrame(rows)
    curve["gain"] = curve["covered"].diff().fillna(curve["covered"])
    chosen, chosen_other, covered = best
    table = lanes.copy()
    table["covered"] = table[col].isin(chosen) & table[other_col].isin(chosen_other)
    return PortSelection(
        side,
        chosen,
        chosen_other,
        tuple(sorted(fixed)),
        covered,
        total,
        curve,
        table,
        time.perf_counter() - t0,
    )


def greedy_ports(lanes: pd.DataFrame, *, side: str, count: int, partners: Sequence[str]) -> float:
    """Coverage of adding, one at a time, the port that covers most (with the partners given): a baseline."""
    col = f"{side.lower()}_port"
    other_col = "eu_port" if side == "CN" else "cn_port"
    usable = lanes[lanes[other_col].isin(set(partners))]
    by_port = usable.groupby(col)["weight"].sum().sort_values(ascending=False)
    return float(by_port.head(count).sum())


def _side_of(port: str) -> str:
    """The side of a fixed port (a port in China, or else an EU one)."""
    return "CN" if port.startswith("CN") else "EU"


def _solve(
    lanes: pd.DataFrame,
    col: str,
    other_col: str,
    candidates: list[str],
    others: list[str],
    size: int,
    fixed_side: list[str],
    fixed_other: list[str],
    partner_count: int | None,
    time_limit: float,
) -> tuple[tuple[str, ...], tuple[str, ...], float]:
    """One maximal covering program: binaries for the ports, a coverage share per lane."""
    ports = sorted(set(candidates) | set(fixed_side))
    partner_ports = sorted(set(others))
    n_p, n_q, n_l = len(ports), len(partner_ports), len(lanes)
    p_index = {p: i for i, p in enumerate(ports)}
    q_index = {q: i for i, q in enumerate(partner_ports)}
    lane_p = lanes[col].map(p_index).to_numpy()
    lane_q = lanes[other_col].map(q_index).to_numpy()
    # columns: ports (n_p), partner ports (n_q), lanes (n_l); maximise the covered weight
    cost = np.concatenate([np.zeros(n_p + n_q), -lanes["weight"].to_numpy(dtype=float)])
    r = np.arange(n_l)
    link = csr_matrix(
        (
            np.concatenate([np.ones(n_l), -np.ones(n_l), np.ones(n_l), -np.ones(n_l)]),
            (
                np.concatenate([r, r, n_l + r, n_l + r]),
                np.concatenate([n_p + n_q + r, lane_p, n_p + n_q + r, n_p + lane_q]),
            ),
        ),
        shape=(2 * n_l, n_p + n_q + n_l),
    )
    constraints = [LinearConstraint(link, -np.inf, 0.0)]
    pick = np.zeros((1, n_p + n_q + n_l))
    pick[0, :n_p] = 1.0
    constraints.append(LinearConstraint(pick, size, size))
    lower = np.zeros(n_p + n_q + n_l)
    upper = np.ones(n_p + n_q + n_l)
    for p in fixed_side:
        lower[p_index[p]] = 1.0
    if partner_count is None:
        lower[n_p : n_p + n_q] = 1.0  # the other side's network is given
    else:
        for q in fixed_other:
            lower[n_p + q_index[q]] = 1.0
        other_pick = np.zeros((1, n_p + n_q + n_l))
        other_pick[0, n_p : n_p + n_q] = 1.0
        constraints.append(LinearConstraint(other_pick, max(partner_count, len(fixed_other)), partner_count))
    integrality = np.concatenate([np.ones(n_p + n_q), np.zeros(n_l)])
    res = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=VarBounds(lower, upper),
        options={"time_limit": time_limit, "disp": False},
    )
    if res.x is None:
        raise InvalidValue(
            f"no network of {size} ports meets the fixed ports and partner count ({res.message})"
        )
    x = res.x
    chosen = tuple(p for p, v in zip(ports, x[:n_p], strict=True) if v > 0.5)
    chosen_other = tuple(q for q, v in zip(partner_ports, x[n_p : n_p + n_q], strict=True) if v > 0.5)
    return chosen, chosen_other, float(-res.fun)


__all__ = [
    "INCIDENCE_PRIOR",
    "SIDES",
    "WEIGHTS",
    "PortSelection",
    "greedy_ports",
    "lane_risk",
    "port_side",
    "select_ports",
]
