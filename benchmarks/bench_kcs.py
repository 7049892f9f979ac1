"""Targeting on the public Korea Customs Service declarations, side by side with the paper and a baseline.

Protocol (documented in docs/targeting.md):
1. fit on 2020 (train file) with early stopping on 2021Q1 (valid file) -> number of trees;
2. refit on 2020 + 2021Q1 with that number of trees (target rates learned out-of-fold on those rows only);
3. score 2021Q2 (test file) once and report precision / recall at 5, 10, 20 % of rows inspected, recall of
   ``Critical Fraud == 2`` at 5 and 10 %, AUC. The test labels are read only to compute the figures.

The baseline is a plain LightGBM on the raw columns, label-encoded (codes learned on the training rows),
with the same early-stopping / refit protocol, run here in the same process; the paper's figures
(arXiv:2208.02484, Table 3, LightGBM and XGBoost) are quoted for comparison.
Run: ``.venv/bin/python -m benchmarks kcs`` (or ``run(Path("out"))``); the data folder comes from
``IPRISK_KCS_DATA`` (settings ``kcs_data``) or ``run(out, data=...)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from iprisk.evaluation.metrics import at_k, auc
from iprisk.settings import get_settings
from iprisk.targeting.scorer import fit_tuned

FILES = {"train": "df_syn_train_eng.csv", "valid": "df_syn_valid_eng.csv", "test": "df_syn_test_eng.csv"}
PAPER = {  # arXiv:2208.02484 Table 3, synthetic data, precision@5% / @10%
    "lightgbm": {5: 0.762, 10: 0.641},
    "xgboost": {5: 0.675, 10: 0.579},
}
TARGETS = {5: 0.97, 10: 0.92, 20: 0.78}
LABEL = "infringement"
#: columns a raw baseline must not see (identifiers, dates, labels, constants)
_NOT_FEATURES = {
    "declaration_id",
    "item_no",
    "date",
    LABEL,
    "critical_fraud",
    "controlled",
    "articles_detained",
    "selection_propensity",
}
THROUGHPUT_ROWS = 1_000_000


def load_kcs(path: Path) -> pd.DataFrame:
    """One KCS file as canonical declarations (through the shipped ``kcs`` mapping)."""
    from iprisk.formats import read_declarations

    frame: pd.DataFrame = read_declarations(path, mapping="kcs").to_pandas()
    return frame


def _raw_baseline(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Plain LightGBM on label-encoded raw columns; early stopping on valid, refit on train + valid."""
    cols = [c for c in train.columns if c not in _NOT_FEATURES and train[c].nunique(dropna=False) > 1]

    def encode(fit_on: pd.DataFrame, *frames: pd.DataFrame) -> list[pd.DataFrame]:
        out = [pd.DataFrame(index=f.index) for f in frames]
        for c in cols:
            numeric = pd.to_numeric(fit_on[c], errors="coerce")
            if numeric.notna().all() and c not in {"office", "hs_code"}:
                for o, f in zip(out, frames, strict=True):
                    o[c] = pd.to_numeric(f[c], errors="coerce")
            else:
                cats = pd.Index(sorted(fit_on[c].fillna("").astype(str).unique()))
                for o, f in zip(out, frames, strict=True):
                    o[c] = cats.get_indexer(f[c].fillna("").astype(str))
        return out

    params = {"objective": "binary", "verbose": -1, "seed": 0, "num_threads": 1, "deterministic": True}
    xt, xv = encode(train, train, valid)
    booster = lgb.train(
        params,
        lgb.Dataset(xt, train[LABEL].astype(int)),
        2000,
        valid_sets=[lgb.Dataset(xv, valid[LABEL].astype(int))],
        callbacks=[lgb.early_stopping(100, verbose=False)],
    )
    rounds = int(booster.best_iteration or 100)
    both = pd.concat([train, valid], ignore_index=True)
    xb, xs = encode(both, both, test)
    final = lgb.train(params, lgb.Dataset(xb, both[LABEL].astype(int)), rounds)
    return np.asarray(final.predict(xs), dtype="float64"), rounds


def _row(
    name: str,
    value: float,
    *,
    baseline: float | None = None,
    target: float | None = None,
    unit: str = "",
    **extra: Any,
) -> dict[str, Any]:
    ratio = value / baseline if baseline else None
    ok = None if target is None else bool(value >= target)
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "ok": ok,
        **extra,
    }


def run(out: Path, data: Path | None = None, throughput_rows: int = THROUGHPUT_ROWS) -> list[dict[str, Any]]:
    folder = Path(data) if data is not None else Path(get_settings().kcs_data)
    if not all((folder / f).is_file() for f in FILES.values()):
        print(f"bench_kcs skipped: KCS data not found in {folder} (set IPRISK_KCS_DATA)")
        return [
            {
                "name": f"SKIPPED: KCS data not found in {folder} (set IPRISK_KCS_DATA)",
                "value": None,
                "unit": "",
                "baseline": None,
                "ratio": None,
                "target": None,
                "ok": None,
                "skipped": f"data folder absent: {folder}",
            }
        ]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train, valid, test = (load_kcs(folder / FILES[k]) for k in ("train", "valid", "test"))

    t0 = time.perf_counter()
    final, rounds = fit_tuned(train, valid, LABEL)
    fit_s = time.perf_counter() - t0
    final.save(out / "kcs-model")
    scores = final.score(test)
    base_scores, base_rounds = _raw_baseline(train, valid, test)

    y = test[LABEL].astype(int).to_numpy()
    critical = (pd.to_numeric(test["critical_fraud"]) == 2).astype(int).to_numpy()
    pd.DataFrame({"declaration_id": test["declaration_id"], "score": scores, "baseline": base_scores}).to_csv(
        out / "kcs-test-scores.csv", index=False
    )
    rows: list[dict[str, Any]] = []
    for k in (5, 10, 20):
        p, pb = at_k(y, scores, k)["precision"], at_k(y, base_scores, k)["precision"]
        quoted = (
            f" (paper: LightGBM {PAPER['lightgbm'][k]}, XGBoost {PAPER['xgboost'][k]})"
            if k in PAPER["lightgbm"]
            else ""
        )
        rows.append(
            _row(
                f"precision@{k}% Fraud, 2021Q2{quoted}",
                p,
                baseline=pb,
                target=TARGETS[k],
                paper_lightgbm=PAPER["lightgbm"].get(k),
                paper_xgboost=PAPER["xgboost"].get(k),
            )
        )
    for k in (5, 10, 20):
        r, rb = at_k(y, scores, k)["recall"], at_k(y, base_scores, k)["recall"]
        rows.append(_row(f"recall@{k}% Fraud", r, baseline=rb, oracle=at_k(y, scores, k)["recall_oracle"]))
    for k in (5, 10):
        r, rb = at_k(critical, scores, k)["recall"], at_k(critical, base_scores, k)["recall"]
        rows.append(_row(f"recall@{k}% Critical Fraud==2", r, baseline=rb))
    rows.append(_row("AUC Fraud", auc(y, scores), baseline=auc(y, base_scores)))
    value = test["value"].to_numpy(dtype="float64")
    for k in (5, 10):
        by_p = at_k(y, scores, k, value)
        by_value = at_k(y, scores * value, k, value)  # value-aware ranking: expected detained value
        rows.append(
            _row(
                f"value-recall@{k}% Fraud, expected-value ranking (baseline: probability ranking)",
                by_value["value_recall"],
                baseline=by_p["value_recall"],
                oracle=by_p["value_recall_oracle"],
            )
        )
    rows.append(_row("trees (early stopping on 2021Q1)", float(rounds), baseline=float(base_rounds)))
    rows.append(_row("fit time (tune + refit)", fit_s, unit="s"))

    if throughput_rows:
        reps = max(1, -(-throughput_rows // len(test)))
        big = pd.concat([test] * reps, ignore_index=True).iloc[:throughput_rows]
        t1 = time.perf_counter()
        final.features_of(big)
        t_feat = time.perf_counter() - t1
        t2 = time.perf_counter()
        final.score(big)
        t_score = time.perf_counter() - t2
        rows.append(
            _row(f"feature transform throughput ({len(big):,} rows)", len(big) / t_feat, unit="rows/s")
        )
        rows.append(
            _row(
                f"scoring throughput ({len(big):,} rows from pandas, features + model, one thread)",
                len(big) / t_score,
                unit="rows/s",
            )
        )
    pd.DataFrame(rows).to_csv(out / "kcs-figures.csv", index=False)
    return rows


if __name__ == "__main__":  # pragma: no cover - manual run
    import sys

    for r in run(Path(sys.argv[1] if len(sys.argv) > 1 else "bench-out")):
        print(r)
