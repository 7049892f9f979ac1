"""A saved model's integrity: a SHA-256 digest of each of its files, and a check of LightGBM's tree text.

LightGBM's text parser trusts its input: an edited ``model.txt`` can abort or crash the process, and a
negative ``split_feature`` silently changes every score. So :meth:`LightGBMScorer.save` writes
``digest.json`` (the SHA-256 of every file of the model folder) and :meth:`LightGBMScorer.load` checks it
before reading anything, then checks the trees' structure (feature indices, child indices, finite values)
before LightGBM parses them: a folder edited, truncated or replaced is a clear
:class:`~iprisk.errors.IntegrityError`, never a crash. A digest is not a signature: whoever can write the
folder can also rewrite the digest, so model folders are protected like the data they were trained on (they
hold per-trader infringement rates; see ``docs/security.md``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path

from iprisk.errors import IntegrityError, Problem

DIGEST_FILE = "digest.json"
_FORMAT = "iprisk-model-digest"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_digest(folder: Path, names: Iterable[str]) -> Path:
    """Write ``digest.json``: the SHA-256 of each named file of ``folder``."""
    data = {"format": _FORMAT, "algorithm": "sha256", "files": {n: _sha256(folder / n) for n in names}}
    path = folder / DIGEST_FILE
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def _broken(folder: Path, problems: list[Problem]) -> IntegrityError:
    return IntegrityError(problems, source=str(folder))


def verify_digest(folder: Path, names: Iterable[str]) -> None:
    """Every named file matches ``digest.json``; IntegrityError naming each file that does not."""
    source = folder / DIGEST_FILE
    try:
        recorded = json.loads(source.read_text(encoding="utf-8"))["files"]
        assert isinstance(recorded, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        raise _broken(
            folder,
            [
                Problem(
                    "digest",
                    f"no readable {DIGEST_FILE}: the folder was not saved by this iprisk, or was edited; "
                    "fit and save the model again",
                    file=str(source),
                )
            ],
        ) from None
    problems = []
    for name in names:
        if not isinstance(recorded.get(name), str) or _sha256(folder / name) != recorded[name]:
            problems.append(
                Problem(
                    "digest",
                    "does not match the digest saved with the model (edited, truncated or replaced); "
                    "restore the folder or fit the model again",
                    file=str(folder / name),
                )
            )
    if problems:
        raise _broken(folder, problems)


def _numbers(fields: dict[str, str], key: str, count: int, kind: type[int] | type[float]) -> list[float]:
    values = fields.get(key, "").split()
    if len(values) != count:
        raise ValueError(f"{key} holds {len(values)} values where {count} are expected")
    parsed = [kind(v) for v in values]
    if kind is float and not all(math.isfinite(v) for v in parsed):
        raise ValueError(f"{key} holds a value that is not finite")
    return parsed


def _check_tree(fields: dict[str, str], features: int) -> None:
    leaves = int(fields["num_leaves"])
    if leaves < 1:
        raise ValueError("num_leaves < 1")
    _numbers(fields, "leaf_value", leaves, float)
    if leaves == 1:
        return
    splits = leaves - 1
    if not all(0 <= f < features for f in _numbers(fields, "split_feature", splits, int)):
        raise ValueError(f"split_feature outside 0..{features - 1}")
    thresholds = _numbers(fields, "threshold", splits, float)
    kinds = _numbers(fields, "decision_type", splits, int)
    for key in ("left_child", "right_child"):
        # a child is another split (0 .. splits - 1) or a leaf, written ~leaf (-1 .. -leaves)
        if not all(-leaves <= c < splits for c in _numbers(fields, key, splits, int)):
            raise ValueError(f"{key} outside the tree")
    categories = int(fields.get("num_cat", "0"))
    if categories < 0:
        raise ValueError("num_cat < 0")
    if categories:
        # a categorical split's threshold indexes cat_boundaries, which slice the cat_threshold bitsets
        bounds = [int(b) for b in _numbers(fields, "cat_boundaries", categories + 1, int)]
        words = len(fields.get("cat_threshold", "").split())
        if (
            bounds[0] != 0
            or bounds[-1] != words
            or any(b > a for a, b in zip(bounds[1:], bounds, strict=False))
        ):
            raise ValueError("cat_boundaries do not slice cat_threshold")
    for kind, threshold in zip(kinds, thresholds, strict=True):
        if int(kind) & 1 and not (threshold == int(threshold) and 0 <= threshold < categories):
            raise ValueError("a categorical split points outside cat_boundaries")


def check_lightgbm_text(text: str, features: int, source: str) -> None:
    """LightGBM's text model is well formed for ``features`` inputs; IntegrityError otherwise."""
    try:
        head, _, rest = text.partition("\nTree=")
        fields = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
        if int(fields.get("max_feature_idx", "-1")) != features - 1:
            raise ValueError(f"max_feature_idx is not {features - 1}")
        trees, _, tail = rest.partition("end of trees")
        if not tail:
            raise ValueError("no 'end of trees' line: truncated")
        for block in trees.split("\nTree="):
            tree = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            if "num_leaves" in tree:
                _check_tree(tree, features)
    except (ValueError, KeyError) as exc:
        raise IntegrityError(
            [Problem("model_structure", f"not a well-formed LightGBM model: {exc}", file=source)],
            source=source,
        ) from None
