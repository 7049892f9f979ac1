"""The learned risk score: LightGBM on leakage-free features, saved without pickle.

:class:`LightGBMScorer` follows scikit-learn conventions: parameters only in ``__init__``, learned state in
attributes ending in ``_``, ``fit`` returns ``self``. ``score`` gives the probability that a declaration line
is an infringement; ``priority`` optionally ranks by expected detained value (probability x declared value);
``explain`` names the features that pushed each score up (LightGBM SHAP-style contributions).

A saved model is a directory holding LightGBM's own text model (``model.txt``), ``meta.json`` with the
parameters, feature list, training period and a SHA-256 fingerprint of the training data, and
``features.json`` with the full state of the feature builder, so a model can be inspected, diffed and loaded
by any LightGBM version that reads text models. No pickle. ``digest.json`` holds the SHA-256 of the three,
checked (with the trees' structure) before LightGBM reads anything (:mod:`iprisk.targeting.model_files`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa

from iprisk.errors import InvalidInput, NotFitted, NotFound, Problem
from iprisk.profiles.io import profiles_from_data, profiles_to_data
from iprisk.targeting.calibration import Calibrator, fit_calibrator
from iprisk.targeting.columnar import numeric
from iprisk.targeting.features import FeatureBuilder
from iprisk.targeting.inputs import as_frame, check_labels, label_values
from iprisk.targeting.model_files import check_lightgbm_text, verify_digest, write_digest
from iprisk.targeting.profiled import PROFILE_FEATURES

FORMAT_VERSION = 1
MODEL_FILE = "model.txt"
META_FILE = "meta.json"
FEATURES_FILE = "features.json"
EXPLAIN_CHUNK = 100_000
_SAVED_FILES = (MODEL_FILE, META_FILE, FEATURES_FILE)


def fingerprint(frame: pd.DataFrame, columns: list[str], labels: np.ndarray | None = None) -> str:
    """SHA-256 of the given columns (as text, in name order) and labels: which data trained a model."""
    h = hashlib.sha256()
    for c in sorted(columns):
        h.update(c.encode())
        values = pd.util.hash_pandas_object(frame[c].astype(str), index=False).to_numpy()
        h.update(values.tobytes())
    if labels is not None:
        h.update(b"labels")
        h.update(np.nan_to_num(np.asarray(labels, dtype="float64"), nan=-1.0).tobytes())
    return h.hexdigest()


def _labels(frame: pd.DataFrame, labels: Any) -> np.ndarray:
    if isinstance(labels, str):
        if labels not in frame.columns:
            raise InvalidInput(
                [Problem("missing-column", "label column not found in the declarations", column=labels)],
                source="declarations",
            )
        return label_values(frame[labels], labels)
    return check_labels(labels, len(frame))


class LightGBMScorer:
    """Gradient-boosted trees on :class:`FeatureBuilder` features.

    ``valid`` in :meth:`fit` (declarations and labels of a *later* period) is used for early stopping only;
    ``best_iteration_`` then records the chosen number of trees, so a final model can be refitted on
    training + validation data with ``n_estimators=best_iteration_`` (see ``docs/targeting.md``).

    :meth:`calibrate` on a later labelled period stores a Platt calibrator (``calibrator_``) that every
    scoring path applies from then on, so scores read as probabilities; saved with the model. Without one
    (``calibrator_`` is None: a fresh fit, or a folder saved before calibration existed) scores are the
    trees' raw probabilities.

    Small trees by default (7 leaves, at least 200 rows a leaf): hits are rare, and on the simulated worlds
    they rank 1 to 4 points of Bayes higher at 5 % than LightGBM's 31 leaves of 20 rows, KCS unchanged
    (``docs/targeting.md``).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 400,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 200,
        feature_fraction: float = 0.7,
        bagging_fraction: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 100,
        seed: int = 0,
        num_threads: int = 1,
        value_aware: bool = False,
        features: dict[str, Any] | None = None,
        profiles: list[Any] | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.seed = seed
        self.num_threads = num_threads
        self.value_aware = value_aware
        self.features = features
        self.profiles = profiles

    _PARAMS = (
        "n_estimators",
        "learning_rate",
        "num_leaves",
        "min_child_samples",
        "feature_fraction",
        "bagging_fraction",
        "reg_lambda",
        "early_stopping_rounds",
        "seed",
        "num_threads",
        "value_aware",
        "features",
        "profiles",
    )

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def _saved_params(self) -> dict[str, Any]:
        """The parameters as JSON data (profiles as their exchange document; left out when none)."""
        params = self.get_params()
        profiles = params.pop("profiles")
        if profiles is not None:
            params["profiles"] = profiles_to_data(profiles)
        return params

    def _lgb_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1 if self.bagging_fraction < 1 else 0,
            "lambda_l2": self.reg_lambda,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbose": -1,
        }

    # ------------------------------------------------------------------ fit
    def fit(
        self, declarations: Any, labels: Any = "infringement", *, valid: tuple[Any, Any] | None = None
    ) -> LightGBMScorer:
        """Learn from labelled declarations (``labels``: a column name or one 0/1 value per row).

        Rows whose label is missing (not inspected) are left out of the model but their codes still count
        in the frequencies. ``valid=(declarations, labels)`` enables early stopping on that later period.
        """
        frame = as_frame(declarations)
        y = _labels(frame, labels)
        known = ~np.isnan(y)
        if known.sum() == 0 or len(np.unique(y[known])) < 2:
            raise InvalidInput(
                [Problem("label-classes", "training labels need both 0 and 1")], source="labels"
            )
        builder = FeatureBuilder(**{**(self.features or {}), "profiles": self.profiles})
        X = builder.fit_transform(frame, y)
        train = lgb.Dataset(X[known], y[known], free_raw_data=True)
        params = self._lgb_params()
        if valid is not None:
            vframe = as_frame(valid[0])
            vy = _labels(vframe, valid[1])
            vknown = ~np.isnan(vy)
            Xv = builder.transform(vframe)
            booster = lgb.train(
                params,
                train,
                self.n_estimators,
                valid_sets=[lgb.Dataset(Xv[vknown], vy[vknown], reference=train)],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            self.best_iteration_ = int(booster.best_iteration or self.n_estimators)
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=self.best_iteration_))
        else:
            booster = lgb.train(params, train, self.n_estimators)
            self.best_iteration_ = self.n_estimators
        self.booster_ = booster
        self.builder_ = builder
        self.feature_names_ = list(X.columns)
        self.training_period_ = list(builder.period_)
        self.training_rows_ = int(known.sum())
        self.training_rate_ = float(np.mean(y[known]))
        self.fingerprint_ = fingerprint(frame, builder.required_columns_, y)
        self.calibrator_: Calibrator | None = None
        return self

    def calibrate(
        self, declarations: Any, labels: Any = "infringement", method: str = "platt"
    ) -> LightGBMScorer:
        """Fit the map from raw score to probability on a *later* labelled period; applied from then on.

        ``labels``: a column name or one 0/1 value per row (rows without a label are left out). Platt
        scaling (the default) is strictly increasing, so the order of the scores is unchanged; ``isotonic``
        is flat between its knots and can tie rows that the raw score ranks apart. Raises InvalidInput
        (:func:`fit_calibrator`) with fewer than 5 hits or non-hits, or a Platt slope that is not positive
        (the score would rank backwards on that period: no calibration can fix that).
        """
        self._check()
        frame = as_frame(declarations)
        y = _labels(frame, labels)
        known = ~np.isnan(y)
        raw = self.score(frame, calibrated=False)
        calibrator = fit_calibrator(raw[known], y[known], method)
        if calibrator.method == "platt" and not calibrator.slope > 0:
            raise InvalidInput(
                [
                    Problem(
                        "calibration-slope",
                        "the scores do not rise with the outcomes on this period (Platt slope "
                        f"{calibrator.slope:.3g} <= 0): check the period and labels",
                    )
                ],
                source="labels",
            )
        self.calibrator_ = calibrator
        return self

    def apply_calibration(self, raw: np.ndarray) -> np.ndarray:
        """Raw model probabilities mapped through the stored calibrator (unchanged without one)."""
        return raw if self.calibrator_ is None else self.calibrator_.apply(raw)

    def _check(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFitted("LightGBMScorer is not fitted; call fit() or LightGBMScorer.load() first")

    # ------------------------------------------------------------------ use
    def features_of(self, declarations: Any, labels: Any = None) -> pd.DataFrame:
        """The feature frame the model sees for these declarations."""
        self._check()
        return self.builder_.transform(declarations, labels)

    def score(self, declarations: Any, *, threads: int | None = None, calibrated: bool = True) -> np.ndarray:
        """Probability of infringement per row, in [0, 1] (calibrated when :meth:`calibrate` was called;
        ``calibrated=False``: the trees' raw probability).

        Features come from the compiled columnar transform (a pyarrow Table is used as is, without a pandas
        copy); ``threads`` sets LightGBM's prediction threads (default ``num_threads``), which changes
        speed only, never the scores.
        """
        self._check()
        X = self.builder_.matrix(declarations)
        raw = np.asarray(self.booster_.predict(X, num_threads=threads or self.num_threads), dtype="float64")
        return self.apply_calibration(raw) if calibrated else raw

    def priority(
        self, declarations: Any, probability: np.ndarray | None = None, *, value_aware: bool | None = None
    ) -> np.ndarray:
        """What to rank by: the probability, or with ``value_aware`` (default: the parameter the model was
        made with) the expected detained value p x value.

        ``probability`` (from :meth:`score` on the same rows) saves computing it again.
        """
        p = self.score(declarations) if probability is None else np.asarray(probability, dtype="float64")
        if not (self.value_aware if value_aware is None else value_aware):
            return p
        if isinstance(declarations, pa.Table | pa.RecordBatch):
            value = numeric(declarations.column("value"))
        else:
            value = numeric(as_frame(declarations)["value"])
        return p * np.nan_to_num(value, nan=0.0)

    def explain(
        self, declarations: Any, top: int = 3, *, threads: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` features that raised the score most (log-odds contributions).

        With risk profiles, a row that matches any also names ``profile_hits`` and ``profile_max_risk``
        (after the top ones, whatever their contribution), so a reader sees that profiles fired.
        ``threads``: LightGBM's threads for the contributions (default ``num_threads``); each row's are
        computed alone, so the threads change the speed only.
        """
        X = self.features_of(declarations)
        names = np.asarray(self.feature_names_)
        k = min(top, len(names))
        profiled = [self.feature_names_.index(f) for f in PROFILE_FEATURES if f in self.feature_names_]
        result: list[list[tuple[str, float]]] = []
        for start in range(0, len(X), EXPLAIN_CHUNK):  # bounded memory: rows x features contributions
            chunk = X.iloc[start : start + EXPLAIN_CHUNK]
            raw = self.booster_.predict(chunk, pred_contrib=True, num_threads=threads or self.num_threads)
            contrib = np.asarray(raw)[:, :-1]  # last column: the bias
            # stable argsort on the negated contribution: ties resolved by feature order, deterministically
            order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
            values = np.take_along_axis(contrib, order, axis=1)
            reasons = [
                [(str(n), float(v)) for n, v in zip(names[o], vals, strict=True)]
                for o, vals in zip(order, values, strict=True)
            ]
            if profiled and top > 0:
                hit_rows = np.flatnonzero(chunk[PROFILE_FEATURES[0]].to_numpy() > 0)
                for i in hit_rows:
                    reasons[i].extend(
                        (str(names[j]), float(contrib[i, j])) for j in profiled if j not in order[i]
                    )
            result.extend(reasons)
        return result

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``model.txt`` (LightGBM text model), ``meta.json`` and ``features.json`` into ``path``."""
        self._check()
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(out / MODEL_FILE))
        meta = {
            "format": "iprisk-targeting-model",
            "format_version": FORMAT_VERSION,
            "scorer": "LightGBMScorer",
            "lightgbm_version": lgb.__version__,
            "params": self._saved_params(),
            "best_iteration": self.best_iteration_,
            "feature_names": self.feature_names_,
            "required_columns": self.builder_.required_columns_,
            "training_period": self.training_period_,
            "training_rows": self.training_rows_,
            "training_rate": self.training_rate_,
            "training_fingerprint": self.fingerprint_,
            "calibration": self._calibration_data(),
            "feature_builder_file": FEATURES_FILE,
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
        # the encodings are large (one entry per code seen in training): compact, in their own file
        state = json.dumps(self.builder_.to_state(), ensure_ascii=False, separators=(",", ":"))
        (out / FEATURES_FILE).write_text(state, encoding="utf-8")
        write_digest(out, _SAVED_FILES)
        return out

    @classmethod
    def load(cls, path: str | Path) -> LightGBMScorer:
        """A scorer saved by :meth:`save`; NotFound when the directory does not hold one.

        IntegrityError when its files do not match their digest or the trees are malformed: both checked
        before LightGBM reads anything.
        """
        src = Path(path)
        if not all((src / f).is_file() for f in _SAVED_FILES):
            raise NotFound(
                "targeting model", f"{src} (expected {META_FILE}, {MODEL_FILE} and {FEATURES_FILE})"
            )
        verify_digest(src, _SAVED_FILES)
        meta = json.loads((src / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != "iprisk-targeting-model":
            raise NotFound("targeting model", f"{src / META_FILE} is not an iprisk targeting model")
        state = json.loads((src / FEATURES_FILE).read_text(encoding="utf-8"))
        model = (src / MODEL_FILE).read_text(encoding="utf-8")
        check_lightgbm_text(model, len(meta["feature_names"]), str(src / MODEL_FILE))
        return cls.from_parts(meta, model, state)

    def to_parts(self) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """The saved form in memory: ``meta.json`` content, LightGBM text model, feature-builder state.

        Plain data (no pickle of live objects): what :mod:`iprisk.targeting.spark` ships to executors.
        """
        self._check()
        meta = {
            "format": "iprisk-targeting-model",
            "format_version": FORMAT_VERSION,
            "params": self._saved_params(),
            "best_iteration": self.best_iteration_,
            "feature_names": self.feature_names_,
            "training_period": self.training_period_,
            "training_rows": self.training_rows_,
            "training_rate": self.training_rate_,
            "training_fingerprint": self.fingerprint_,
            "calibration": self._calibration_data(),
        }
        return meta, self.booster_.model_to_string(), self.builder_.to_state()

    def _calibration_data(self) -> dict[str, Any] | None:
        return None if self.calibrator_ is None else self.calibrator_.to_data()

    @classmethod
    def from_parts(cls, meta: dict[str, Any], model: str, state: dict[str, Any]) -> LightGBMScorer:
        """A scorer from :meth:`to_parts` (or the three files of :meth:`save`)."""
        params = dict(meta["params"])
        if params.get("profiles") is not None:
            params["profiles"] = profiles_from_data(params["profiles"], source="meta.json")
        scorer = cls(**params)
        scorer.booster_ = lgb.Booster(model_str=model)
        scorer.builder_ = FeatureBuilder.from_state(state)
        scorer.best_iteration_ = int(meta["best_iteration"])
        scorer.feature_names_ = list(meta["feature_names"])
        scorer.training_period_ = list(meta["training_period"])
        scorer.training_rows_ = int(meta["training_rows"])
        scorer.training_rate_ = float(meta["training_rate"])
        scorer.fingerprint_ = str(meta["training_fingerprint"])
        # folders saved before calibration existed have no entry: they score with the raw probabilities
        calibration = meta.get("calibration")
        scorer.calibrator_ = None if calibration is None else Calibrator.from_data(calibration)
        return scorer


def format_reasons(reasons: list[tuple[str, float]]) -> str:
    """``[("trader_id_target_rate", 1.23)]`` -> ``"trader_id_target_rate=+1.23"``."""
    return "; ".join(f"{name}={value:+.2f}" for name, value in reasons)


def fit_tuned(
    train: Any, valid: Any, labels: str = "infringement", **params: Any
) -> tuple[LightGBMScorer, int]:
    """The documented protocol: early stopping on ``valid`` (a later period), then refit on both.

    Returns the final scorer (fitted on train + valid with the number of trees chosen on valid) and that
    number. ``labels`` must be a column name here, since the two frames are concatenated.
    """
    params = {"n_estimators": 3000, **params}
    tuning = LightGBMScorer(**params).fit(train, labels, valid=(valid, labels))
    rounds = tuning.best_iteration_
    both = pd.concat([as_frame(train), as_frame(valid)], ignore_index=True)
    final = LightGBMScorer(**{**params, "n_estimators": rounds}).fit(both, labels)
    return final, rounds
