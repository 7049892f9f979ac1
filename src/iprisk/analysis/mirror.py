"""Mirror analysis: China's export detentions against EU import detentions on the same lanes and products."""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from iprisk.analysis._common import aggregate, filter_quarters, with_lane
from iprisk.periods import Quarter

MIRROR_COLUMNS = (
    "lane",
    "departure_port",
    "arrival_port",
    "product_category",
    "export_cases",
    "export_articles",
    "import_cases",
    "import_articles",
    "export_share",
    "detected",
)


def mirror(
    seizures: ir.Table,
    *,
    exporter: str = "CN",
    start: str | Quarter | None = None,
    end: str | Quarter | None = None,
) -> pd.DataFrame:
    """Where each side detects: ``exporter``'s export detentions and the others' import detentions, per lane.

    The export side is ``reporting_admin == exporter`` and ``flow == "export"``; the import side is every
    other administration's ``flow == "import"`` lines whose provenance is ``exporter`` or whose departure
    port is in it. Both are cut by lane (``departure_port -> arrival_port``) and product category.

    Returns
    -------
    pandas.DataFrame
        :data:`MIRROR_COLUMNS`, one row per lane and product category; ``export_share`` is the export side's
        share of the cases; ``detected`` is ``both``, ``export only`` or ``import only`` (passed export
        controls and caught at import). Sorted by import cases, then export cases.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"quarter": ["2020Q1"] * 3, "reporting_admin": ["CN", "NL", "NL"],
    ...     "case_id": ["a", "b", "c"], "flow": ["export", "import", "import"],
    ...     "provenance_country": ["CN"] * 3,
    ...     "departure_port": ["CNSHA"] * 3, "arrival_port": ["NLRTM", "NLRTM", "NLRTM"],
    ...     "product_category": ["toys", "toys", "shoes"], "articles": [100, 10, 5]})
    >>> mirror(t)[["product_category", "export_cases", "import_cases", "detected"]].values.tolist()
    [['toys', 1, 1, 'both'], ['shoes', 0, 1, 'import only']]
    """
    t = with_lane(filter_quarters(seizures, start, end))
    keys = ["lane", "departure_port", "arrival_port", "product_category"]
    exp_t = t.filter((t.reporting_admin == exporter) & (t.flow == "export"))
    imp_t = t.filter(
        (t.reporting_admin != exporter)
        & (t.flow == "import")
        & ((t.provenance_country == exporter) | t.departure_port.fill_null("").startswith(exporter))
    )
    exp = aggregate(exp_t, keys, ["cases", "articles"]).rename(
        columns={"cases": "export_cases", "articles": "export_articles"}
    )
    imp = aggregate(imp_t, keys, ["cases", "articles"]).rename(
        columns={"cases": "import_cases", "articles": "import_articles"}
    )
    for df in (exp, imp):
        df[["departure_port", "arrival_port"]] = df[["departure_port", "arrival_port"]].fillna("")
    out = exp.merge(imp, on=keys, how="outer")
    for c in ("export_cases", "export_articles", "import_cases", "import_articles"):
        out[c] = out[c].fillna(0).astype("int64")
    total = out["export_cases"] + out["import_cases"]
    out["export_share"] = np.where(total > 0, out["export_cases"] / total.where(total > 0, 1), np.nan)
    out["detected"] = np.select(
        [(out["export_cases"] > 0) & (out["import_cases"] > 0), out["export_cases"] > 0],
        ["both", "export only"],
        default="import only",
    )
    out = out.sort_values(
        ["import_cases", "export_cases", "lane", "product_category"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    return pd.DataFrame(out[list(MIRROR_COLUMNS)]).reset_index(drop=True)
