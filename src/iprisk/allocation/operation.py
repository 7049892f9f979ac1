"""Joint operations: a plan for a period (ports, routes, products, the profiles it uses, extra controls),
proposed from the analysis and measured afterwards.

**Propose.** The extra controls go where they find most: every stratum keeps at least its status-quo
controls (a lower bound), each office adds no more than its spare capacity, and the extra controls in all
add up to the budget; the linear program puts them where the curves' marginal yield is highest. The
operation is the strata that get extra controls, their offices, routes and products, and the active
profiles that target them; its expected extra detections carry the curves' interval.

**Evaluate.** Detections during the operation at its offices are compared with the same offices before and
with comparable offices outside it (difference in differences): cases of the operation's products and
modes per office and quarter, a Poisson model with a level per office, one per quarter and the effect of
being in the operation while it runs, its dispersion estimated from the data (quasi-Poisson). The effect is
a ratio (detections during the operation over what they would have been) with its interval, turned into
extra detections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import statsmodels.api as sm

from iprisk.allocation.constraints import Requirement
from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.plan import plan_allocation
from iprisk.allocation.strata import as_ibis, route_parts
from iprisk.analysis._common import case_key
from iprisk.errors import InvalidValue
from iprisk.periods import Quarter
from iprisk.profiles.model import Profile

#: Extra controls below this in a stratum are not part of the operation (rounding dust of the solver).
MIN_EXTRA = 0.5


@dataclass(frozen=True)
class Operation:
    """A proposed joint operation."""

    name: str
    start: str
    end: str
    offices: tuple[str, ...]
    routes: tuple[str, ...]
    products: tuple[str, ...]
    modes: tuple[str, ...]
    profiles: tuple[str, ...]
    extra_controls: float
    expected_extra: float  # detections the extra controls are expected to add
    expected_low: float
    expected_high: float
    strata: pd.DataFrame = field(repr=False)  # stratum columns, status_quo, planned, extra, expected_extra

    def as_dict(self) -> dict[str, Any]:
        """Plain data (JSON ready), the strata as records."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "strata"}
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
        out["strata"] = self.strata.to_dict("records")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Operation:
        values = dict(data)
        for k in ("offices", "routes", "products", "modes", "profiles"):
            values[k] = tuple(values.get(k, ()))
        values["strata"] = pd.DataFrame(values.get("strata", []))
        return cls(**values)


@dataclass(frozen=True)
class OperationEvaluation:
    """Difference in differences of an operation's detections, with an interval."""

    name: str
    ratio: float  # detections during the operation over what they would have been without it
    ratio_low: float
    ratio_high: float
    extra: float  # extra detections during the operation
    extra_low: float
    extra_high: float
    p_value: float
    observed: float  # detections at the operation's offices during it
    dispersion: float
    treated_offices: int
    comparison_offices: int
    panel: pd.DataFrame = field(repr=False)  # office, quarter, treated, during, cases

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "panel"}


def propose_operation(
    curves: YieldCurves,
    capacity: pd.DataFrame,
    *,
    extra_controls: float,
    start: str,
    end: str | None = None,
    name: str | None = None,
    profiles: Sequence[Profile] = (),
    offices: Sequence[str] | None = None,
) -> Operation:
    """Place ``extra_controls`` on top of the status quo where they find most (see the module docstring).

    ``capacity``: what each office can do in the period (its spare capacity is that minus its status quo);
    ``offices`` limits the operation to some offices; ``profiles``: the active profiles to pick from.
    """
    if not extra_controls > 0:
        raise InvalidValue(f"extra controls must be a positive number, not {extra_controls}")
    first = Quarter.parse(start)
    last = Quarter.parse(end) if end else first
    if last < first:
        raise InvalidValue(f"the operation ends ({last}) before it starts ({first})")
    if offices is not None:
        curves = curves.subset(curves.strata["office"].isin(list(offices)).to_numpy())
    quarters = last.index() - first.index() + 1
    status_quo = curves.strata[[*STRATUM, "status_quo"]].rename(columns={"status_quo": "controls"})
    sq_office = curves.strata.groupby("office")["status_quo"].sum()
    cap = capacity.set_index("office")["capacity"].reindex(sq_office.index)
    spare = (cap.fillna(sq_office) - sq_office).clip(lower=0.0)
    if spare.sum() <= 0:
        raise InvalidValue("no office has capacity beyond what it spends today: no room for an operation")
    budget = Requirement(
        "extra controls", curves.keys(), maximum=float(sq_office.sum() + extra_controls / quarters)
    )
    table = (sq_office + spare).rename("capacity").reset_index()
    plan = plan_allocation(
        curves, table, exploration=0.0, mandatory=status_quo, requirements=(budget,), quarter=str(first)
    )
    s = plan.strata.assign(extra=plan.strata["planned"] - plan.strata["status_quo"])
    s["expected_extra"] = plan.strata["expected"] - plan.strata["expected_status_quo"]
    chosen = s[s["extra"] >= MIN_EXTRA].sort_values("expected_extra", ascending=False).reset_index(drop=True)
    low, high = curves.subset(_mask(curves, chosen)).interval(
        _planned(curves, chosen, "planned"), _planned(curves, chosen, "status_quo")
    )
    mode, _, _ = route_parts(chosen["route"])
    products = tuple(sorted(set(chosen["product_category"])))
    modes = tuple(sorted(set(mode)))
    offices_used = tuple(sorted(set(chosen["office"])))
    cols = [*STRATUM, "status_quo", "planned", "extra", "expected_extra"]
    return Operation(
        name=name or f"operation-{first}",
        start=str(first),
        end=str(last),
        offices=offices_used,
        routes=tuple(sorted(set(chosen["route"]))),
        products=products,
        modes=modes,
        profiles=tuple(p.id for p in profiles if _targets(p, offices_used, products, modes)),
        extra_controls=float(chosen["extra"].sum() * quarters),
        expected_extra=float(chosen["expected_extra"].sum() * quarters),
        expected_low=low * quarters,
        expected_high=high * quarters,
        strata=chosen[cols],
    )


def _mask(curves: YieldCurves, chosen: pd.DataFrame) -> np.ndarray:
    keys = curves.keys().merge(chosen[list(STRATUM)].assign(_in=1), on=list(STRATUM), how="left")
    return keys["_in"].notna().to_numpy()


def _planned(curves: YieldCurves, chosen: pd.DataFrame, col: str) -> np.ndarray:
    keys = curves.keys()[_mask(curves, chosen)]
    return keys.merge(chosen[[*STRATUM, col]], on=list(STRATUM), how="left")[col].to_numpy(dtype=float)


def _targets(profile: Profile, offices: Sequence[str], products: Sequence[str], modes: Sequence[str]) -> bool:
    """A profile is used when it applies at one of the offices and aims at the operation's goods."""
    c = profile.criteria
    where = not profile.scope.offices or bool(set(profile.scope.offices) & set(offices))
    goods = bool(set(c.product_categories) & set(products)) if c.product_categories else True
    how = bool(set(c.transport_modes) & set(modes)) if c.transport_modes else True
    aimed = bool(c.product_categories or c.transport_modes or c.hs_prefixes)
    return where and goods and how and aimed


def evaluate_operation(
    seizures: ir.Table | pd.DataFrame,
    operation: Operation,
    *,
    before: int = 4,
    confidence: float = 0.95,
) -> OperationEvaluation:
    """Difference in differences of the operation's detections (see the module docstring).

    ``before``: quarters before the operation used as its own baseline. Comparison offices are those of
    the same side (China, or not) with cases of the operation's products and modes, outside it.
    """
    first, last = Quarter.parse(operation.start), Quarter.parse(operation.end)
    quarters = [str(first - k) for k in range(before, 0, -1)] + [
        str(first + k) for k in range(last.index() - first.index() + 1)
    ]
    t = as_ibis(seizures)
    t = t.filter(
        t.quarter.isin(quarters)
        & t.product_category.isin(list(operation.products))
        & t.transport_mode.isin(list(operation.modes))
    )
    counts = t.group_by(["office", "quarter"]).aggregate(cases=case_key(t).nunique()).to_pandas()
    treated_set = set(operation.offices)
    china = {o.startswith("CN") for o in treated_set}
    counts = counts[counts["office"].map(lambda o: o.startswith("CN")).isin(china)]
    offices = sorted(set(counts["office"]) | treated_set)
    panel = pd.MultiIndex.from_product([offices, quarters], names=["office", "quarter"]).to_frame(index=False)
    panel = panel.merge(counts, on=["office", "quarter"], how="left").fillna({"cases": 0})
    active = panel.groupby("office")["cases"].transform("sum") > 0
    panel = panel[active].reset_index(drop=True)
    panel["treated"] = panel["office"].isin(treated_set)
    panel["during"] = panel["quarter"] >= str(first)
    n_treated = int(panel.loc[panel["treated"], "office"].nunique())
    n_control = int(panel.loc[~panel["treated"], "office"].nunique())
    if n_treated == 0 or n_control == 0:
        raise InvalidValue(
            f"operation {operation.name}: needs detections at its offices and at comparable offices "
            f"({n_treated} and {n_control} found)"
        )
    design = pd.get_dummies(panel[["office", "quarter"]], drop_first=True, dtype=float)
    design["effect"] = (panel["treated"] & panel["during"]).astype(float)
    design = sm.add_constant(design, has_constant="add")
    model = sm.GLM(panel["cases"].to_numpy(dtype=float), design, family=sm.families.Poisson())
    fit = model.fit(scale="X2")
    delta = float(fit.params["effect"])
    low, high = (float(v) for v in fit.conf_int(alpha=1 - confidence).loc["effect"])
    observed = float(panel.loc[panel["treated"] & panel["during"], "cases"].sum())
    return OperationEvaluation(
        name=operation.name,
        ratio=float(np.exp(delta)),
        ratio_low=float(np.exp(low)),
        ratio_high=float(np.exp(high)),
        extra=observed * (1 - np.exp(-delta)),
        extra_low=observed * (1 - np.exp(-low)),
        extra_high=observed * (1 - np.exp(-high)),
        p_value=float(fit.pvalues["effect"]),
        observed=observed,
        dispersion=float(fit.scale),
        treated_offices=n_treated,
        comparison_offices=n_control,
        panel=panel,
    )


__all__ = ["MIN_EXTRA", "Operation", "OperationEvaluation", "evaluate_operation", "propose_operation"]
