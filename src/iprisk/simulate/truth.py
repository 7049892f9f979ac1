"""The simulator's ground truth joined to its declarations: what no administration knows, and a simulation
does (every consignment's true infringement, not only the inspected ones' findings)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The truth column joined on by :func:`labelled_declarations` (see ``docs/simulation.md``).
TRUE_LABEL = "true_infringement"

#: The line key shared by the declarations and the truth files.
_LINE = ["declaration_id", "item_no"]


def labelled_declarations(declarations: str | Path, truth: str | Path) -> pd.DataFrame:
    """Simulated declarations (``SimulationSummary.declarations_path``) with the simulator's true
    infringement flag (``declarations_truth_path``) joined on, as a bool column :data:`TRUE_LABEL`."""
    decl = pd.read_parquet(declarations)
    flags = pd.read_parquet(truth, columns=[*_LINE, TRUE_LABEL])
    frame = decl.merge(flags, on=_LINE, how="left", validate="one_to_one")
    frame[TRUE_LABEL] = frame[TRUE_LABEL].astype(bool)
    return frame
