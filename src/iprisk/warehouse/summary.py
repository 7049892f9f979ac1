"""What is stored: headline figures per reporting administration, computed in the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # ibis loads in about half a second; submit-only processes never need it
    import ibis.expr.types as ir


def stored_summary(seizures: ir.Table) -> pd.DataFrame:
    """Quarters, cases, lines, articles and retail value per reporting administration.

    ``seizures`` is what :meth:`Warehouse.seizures` returns. A case is a distinct ``case_id`` within its
    administration. The result has one row per administration, largest by cases first, and a total row.
    """
    per_admin = (
        seizures.group_by("reporting_admin")
        .aggregate(
            quarters=seizures.quarter.nunique(),
            first_quarter=seizures.quarter.min(),
            last_quarter=seizures.quarter.max(),
            cases=seizures.case_id.nunique(),
            lines=seizures.count(),
            articles=seizures.articles.sum(),
            retail_value_eur=seizures.retail_value_eur.sum(),
        )
        .execute()
    )
    per_admin = per_admin.sort_values(
        ["cases", "reporting_admin"], ascending=[False, True], ignore_index=True
    )
    if per_admin.empty:
        return per_admin
    total = {
        "reporting_admin": "all",
        "quarters": int(seizures.quarter.nunique().execute()),
        "first_quarter": per_admin.first_quarter.min(),
        "last_quarter": per_admin.last_quarter.max(),
        "cases": int(per_admin.cases.sum()),
        "lines": int(per_admin.lines.sum()),
        "articles": int(per_admin.articles.sum()),
        "retail_value_eur": float(per_admin.retail_value_eur.sum()),
    }
    return pd.concat([per_admin, pd.DataFrame([total])], ignore_index=True)
