"""Issue 16, class 2: a crafted or damaged model folder is a clear error, never a crash or silent scores."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.errors import IntegrityError, NotFound
from iprisk.targeting.model_files import DIGEST_FILE, write_digest
from iprisk.targeting.scorer import FEATURES_FILE, META_FILE, MODEL_FILE, LightGBMScorer

from .synthetic import declarations

FILES = (MODEL_FILE, META_FILE, FEATURES_FILE)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "m"
    LightGBMScorer(n_estimators=5, num_leaves=4).fit(declarations(600)).save(folder)
    return folder


def _copy(saved: Path, tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(saved, target)
    return target


def test_a_saved_model_loads_and_scores_the_same(saved: Path) -> None:
    frame = declarations(50, seed=3)
    assert np.allclose(LightGBMScorer.load(saved).score(frame), LightGBMScorer.load(saved).score(frame))
    assert (saved / DIGEST_FILE).is_file()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FILES), st.floats(0, 1), st.binary(min_size=1, max_size=8))
def test_any_edit_is_refused_before_lightgbm_reads(
    saved: Path, tmp_path_factory, name: str, where: float, noise: bytes
) -> None:
    folder = _copy(saved, tmp_path_factory.mktemp("edit"))
    data = (folder / name).read_bytes()
    at = int(len(data) * where)
    edited = data[:at] + noise + data[at + len(noise) :]
    if edited == data:
        return
    (folder / name).write_bytes(edited)
    with pytest.raises(IntegrityError) as info:
        LightGBMScorer.load(folder)
    assert info.value.problems[0].file == str(folder / name) and "digest" in info.value.problems[0].rule


def test_truncation_and_a_missing_digest(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    (folder / MODEL_FILE).write_bytes((folder / MODEL_FILE).read_bytes()[:500])
    with pytest.raises(IntegrityError):
        LightGBMScorer.load(folder)
    (folder / DIGEST_FILE).unlink()
    with pytest.raises(IntegrityError, match=r"digest\.json"):
        LightGBMScorer.load(folder)
    with pytest.raises(NotFound):
        LightGBMScorer.load(tmp_path / "nothing")


CRAFTED = [
    (r"split_feature=(\d+)", "split_feature=-1"),  # silently changed the scores before
    (r"split_feature=(\d+)", "split_feature=99999"),
    (r"left_child=(-?\d+)", "left_child=77"),
    (r"leaf_value=(\S+)", "leaf_value=nan"),
    (r"num_leaves=(\d+)", "num_leaves=0"),
    (r"max_feature_idx=(\d+)", "max_feature_idx=3"),
]

# Loads every folder named on the command line; prints the rule of each refusal.
_LOAD_ALL = """
import sys
from iprisk.errors import IntegrityError
from iprisk.targeting.scorer import LightGBMScorer
for folder in sys.argv[1:]:
    try:
        LightGBMScorer.load(folder)
        print("loaded")
    except IntegrityError as exc:
        print(exc.problems[0].rule)
"""


def test_a_crafted_tree_with_a_recomputed_digest_is_refused(saved: Path, tmp_path: Path) -> None:
    """Whoever rewrites the digest still cannot crash the process: the trees' structure is checked too.

    Loaded in a child process, so that a check letting a crafted tree through could not take the test run
    down with it: the child must refuse each folder with a clear error."""
    folders = []
    for i, (pattern, replacement) in enumerate(CRAFTED):
        folder = _copy(saved, tmp_path / str(i))
        text = (folder / MODEL_FILE).read_text()
        (folder / MODEL_FILE).write_text(re.sub(pattern, replacement, text, count=1))
        write_digest(folder, FILES)
        folders.append(str(folder))
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL, *folders], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["model_structure"] * len(CRAFTED)


def test_the_cli_reports_a_tampered_model(saved: Path, tmp_path: Path, run) -> None:
    folder = _copy(saved, tmp_path)
    (folder / MODEL_FILE).write_text(
        (folder / MODEL_FILE).read_text().replace("split_feature=", "split_feature=-", 1)
    )
    data = tmp_path / "d.csv"
    declarations(20).to_csv(data, index=False)
    out = tmp_path / "s.csv"
    code, _, err = run("targeting", "score", "--model", folder, "--declarations", data, "--out", out)
    assert code == 3 and "digest" in err and "Traceback" not in err
    assert not out.exists()
