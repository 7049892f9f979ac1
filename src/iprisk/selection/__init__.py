"""Selection under capacity (mandatory hits, scores, exploration) and off-policy evaluation (IPW)."""

from __future__ import annotations

from iprisk.selection.ipw import IPWEstimate, ipw_hit_rate, naive_hit_rate
from iprisk.selection.select import SELECTION_COLUMNS, select

__all__ = ["SELECTION_COLUMNS", "IPWEstimate", "ipw_hit_rate", "naive_hit_rate", "select"]
