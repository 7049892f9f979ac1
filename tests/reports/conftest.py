"""The reports built once per test run from a small simulated world, in both languages, HTML and PDF.

Building them takes a minute (a simulated warehouse, the analysis of a year, charts, WeasyPrint); with
pytest-xdist every worker would build them again, so the first worker builds them into a folder the workers
share (under an exclusive file lock) and the others read what it wrote. The folder is the test run's output:
the rendered pages (``pages/*.png``, one of each kind) stay there for people to look at.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from iprisk.reports import (
    Document,
    Effectiveness,
    ReportInputs,
    annual_inputs,
    annual_report,
    newsletter,
    state_of_play,
    state_of_play_inputs,
    write_report,
)
from iprisk.reports.state_of_play import StateOfPlayInputs

#: The world: three years, so that the year reported has eight quarters of history for its signals.
WORLD = {"start": "2014Q1", "end": "2016Q4", "scale": 0.02, "seed": 7}
YEAR = 2016
QUARTER = "2016Q4"
LOCALES = ("en", "zh")


@dataclass
class Built:
    """What the tests read: the inputs, the documents and the files written."""

    folder: Path
    inputs: ReportInputs
    play: StateOfPlayInputs
    annual: dict[str, Document] = field(default_factory=dict)
    newsletter: dict[str, Document] = field(default_factory=dict)
    play_docs: dict[str, Document] = field(default_factory=dict)

    def file(self, kind: str, locale: str, suffix: str) -> Path:
        return self.folder / f"{kind}.{locale}{suffix}"

    @property
    def pages(self) -> Path:
        return self.folder / "pages"


def effectiveness() -> Effectiveness:
    """A small evaluation (as compare_strategies and profile_metrics give them), to fill that section."""
    strategies = pd.DataFrame(
        {
            "strategy": ["random", "random", "model", "model"],
            "k_pct": [1.0, 5.0, 1.0, 5.0],
            "selected": [400, 2000, 400, 2000],
            "hits_selected": [2, 14, 75, 123],
            "precision": [0.005, 0.007, 0.1875, 0.0615],
            "lift": [1.0, 1.4, 37.5, 12.3],
        }
    )
    profiles = pd.DataFrame(
        {
            "profile_id": ["MINED-01", "MINED-02"],
            "matched": [15, 67],
            "hits": [2, 5],
            "hit_rate": [0.1333, 0.0746],
            "lift": [28.1, 15.7],
        }
    )
    return Effectiveness(strategies, profiles, "declarations of 2016")


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(folder: Path) -> None:
    from iprisk.simulate import receipt_calendar, simulate
    from iprisk.store import RunLog
    from iprisk.warehouse import Warehouse

    world = simulate(out_dir=folder / "world", declarations=False, **WORLD)  # type: ignore[arg-type]
    db = f"sqlite:///{folder / 'ops.sqlite'}"
    with Warehouse.open(folder / "warehouse.duckdb") as wh:
        for receipt in receipt_calendar(world.seizure_files, seed=int(WORLD["seed"])):
            wh.submit(receipt.path, user="test", received_at=receipt.received_at)
        wh.load_trade(world.trade_path)
        inputs = annual_inputs(wh, YEAR, effectiveness=effectiveness())
        with RunLog(db) as log:
            log.record("annual", str(YEAR), locale="en", formats=["pdf"], snapshot="s", code_version="t")
        play = state_of_play_inputs(wh, db, QUARTER)
    built = Built(folder, inputs, play)
    (folder / "pages").mkdir(exist_ok=True)
    for locale in LOCALES:
        built.annual[locale] = annual_report(inputs, locale)
        built.newsletter[locale] = newsletter(inputs, locale)
        built.play_docs[locale] = state_of_play(play, locale)
        for kind, doc in (
            ("annual", built.annual[locale]),
            ("newsletter", built.newsletter[locale]),
            ("state-of-play", built.play_docs[locale]),
        ):
            pdf, html = built.file(kind, locale, ".pdf"), built.file(kind, locale, ".html")
            write_report(doc, [html, pdf])
            # one page of each kind, to look at: the second page holds charts and tables
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "70",
                    "-png",
                    "-f",
                    "2",
                    "-l",
                    "2",
                    "-singlefile",
                    str(pdf),
                    str(folder / "pages" / f"{kind}.{locale}"),
                ],
                check=True,
            )
    with (folder / "built.pickle").open("wb") as fh:
        pickle.dump(built, fh)


#: A folder to keep the built reports in between runs (while working on the reports); unset, each run builds
#: them in its own temporary folder.
KEEP = os.environ.get("IPRISK_TEST_REPORTS_DIR", "")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Built:
    """The reports of the test world, built once per test run (shared by the xdist workers)."""
    root = tmp_path_factory.getbasetemp()
    folder = Path(KEEP) if KEEP else (root if worker_id == "master" else root.parent) / "reports-built"
    folder.mkdir(exist_ok=True)
    with _exclusive(folder.parent / "reports-built.lock"):
        if not (folder / "built.pickle").exists():
            _build(folder)
    with (folder / "built.pickle").open("rb") as fh:
        result: Built = pickle.load(fh)
    return result
