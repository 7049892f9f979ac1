from __future__ import annotations

import pandas as pd

from iprisk.simulate import TRUE_LABEL, SimulationSummary, labelled_declarations


def test_every_declaration_line_gets_its_true_flag(small_world: SimulationSummary) -> None:
    assert small_world.declarations_path and small_world.declarations_truth_path
    frame = labelled_declarations(small_world.declarations_path, small_world.declarations_truth_path)
    declarations = pd.read_parquet(small_world.declarations_path)
    assert len(frame) == len(declarations)
    assert list(frame.columns) == [*declarations.columns, TRUE_LABEL]
    assert frame[TRUE_LABEL].dtype == bool
    assert int(frame[TRUE_LABEL].sum()) == small_world.true_infringements
    # an infringement found by a control is a true one (controls have no false positives)
    assert frame.loc[frame["infringement"].eq(True), TRUE_LABEL].all()
