from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_all_seizures(folder: Path) -> pd.DataFrame:
    """Every seizure line of every CSV file in ``folder`` (the raw files, as a user would read them)."""
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(folder.glob("*.csv"))]
    df = pd.concat(frames, ignore_index=True)
    df["articles"] = df["articles"].astype(int)
    df["line_no"] = df["line_no"].astype(int)
    dates = pd.to_datetime(df["detention_date"])
    df["year"] = dates.dt.year
    df["quarter"] = dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)
    return df
