"""LightGBM models compiled to machine code for batch scoring, with LightGBM's very scores.

LightGBM walks its trees node by node through generic data structures: about 5 us per row for the KCS model
(117 trees), most of the cost of batch scoring. `lleaves <https://github.com/siboehm/lleaves>`_ compiles a
LightGBM text model with LLVM into one function per tree, about 4x faster. Its scores are identical to
LightGBM's when the trees are summed in one block, in LightGBM's order, starting from 0.0 (lleaves' default
cache blocks of 34 trees add partial sums in another order: results then differ in the last bit); the
sigmoid is the same ``1 / (1 + exp(-x))``. :func:`compiled_predictor` checks that on the first rows it
predicts, against LightGBM, and falls back to LightGBM for the whole run if they ever differ.

LLVM's small code model (offsets within 2 GB) takes 20 to 35 % less CPU per row than lleaves' default
large one for the KCS model, with the same scores; it is used unless the model text is huge.
Compiling takes tens of seconds, so the machine code is cached per model, code model, CPU and compiler version
(a file named by their SHA-256) in the folder given (the model's folder when scoring from one). lleaves is
the optional extra ``fast`` (``make install`` installs it); without it, scoring uses LightGBM.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

#: rows checked against LightGBM before the compiled model is trusted
CHECK_ROWS = 2048
CACHE_FOLDER = ".compiled"
#: model text size (characters) up to which the forest is compiled with LLVM's small code model
SMALL_CODE_MODEL_LIMIT = 50_000_000


def available() -> bool:
    """Whether lleaves (the optional extra ``fast``) is installed."""
    return importlib.util.find_spec("lleaves") is not None


def _code_model(model_text: str) -> str:
    """LLVM's small code model (20 to 35 % less CPU per row on the KCS model, same scores) unless the
    forest is so big that its machine code could outgrow the small model's 2 GB of offsets."""
    return "small" if len(model_text) < SMALL_CODE_MODEL_LIMIT else "large"


def _cache_key(model_text: str) -> str:
    import lleaves
    import llvmlite
    import llvmlite.binding as llvm

    h = hashlib.sha256()
    for part in (
        model_text,
        _code_model(model_text),
        getattr(lleaves, "__version__", "?"),
        llvmlite.__version__,
        llvm.get_host_cpu_name(),
        llvm.get_host_cpu_features().flatten(),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


class Predictor:
    """Probabilities of rows of a feature matrix: the compiled model once checked, else LightGBM."""

    def __init__(self, booster: lgb.Booster, compiled: Any | None) -> None:
        self.booster = booster
        self.compiled = compiled
        self.checked = compiled is None
        self._checking = threading.Lock()  # worker threads share one predictor: one check, one decision

    @property
    def name(self) -> str:
        return "lightgbm" if self.compiled is None else "compiled"

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.compiled is None:
            return np.asarray(self.booster.predict(X, num_threads=1), dtype="float64")
        if not self.checked:
            with self._checking:
                if not self.checked:
                    sample = np.ascontiguousarray(X[:CHECK_ROWS])
                    same = np.array_equal(
                        self.compiled.predict(sample, n_jobs=1), self.booster.predict(sample, num_threads=1)
                    )
                    if not same:  # never seen; LightGBM's scores are the definition
                        self.compiled = None
                    self.checked = True
            return self(X)
        return np.asarray(self.compiled.predict(np.ascontiguousarray(X, dtype="float64"), n_jobs=1))


def compiled_predictor(booster: lgb.Booster, cache: str | Path | None = None) -> Predictor:
    """A :class:`Predictor` for ``booster``: compiled (and cached in ``cache``) when lleaves is installed.

    ``cache``: a folder for the machine code; None or a folder that cannot be written compiles into a
    temporary folder, removed afterwards.
    """
    if not available():
        return Predictor(booster, None)
    import lleaves

    text = booster.model_to_string()
    key = _cache_key(text)
    with tempfile.TemporaryDirectory(prefix="iprisk-lleaves-") as tmp:
        folder = Path(cache) if cache is not None and _writable(Path(cache)) else Path(tmp)
        model_file = Path(tmp) / "model.txt"
        model_file.write_text(text, encoding="utf-8")
        model = lleaves.Model(model_file=str(model_file))
        model.compile(
            cache=str(folder / f"{key}.so"), fblocksize=model.num_trees(), fcodemodel=_code_model(text)
        )
    return Predictor(booster, model)
