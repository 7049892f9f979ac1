"""The synthetic customs world: trade lanes, consignments, latent infringement, controls and detentions.

Real seizure records and declarations are confidential; this world behaves like the real one and its ground
truth is known. ``simulate(...)`` writes declarations, quarterly seizure files, trade statistics and the
truth. See ``docs/simulation.md``.
"""

from __future__ import annotations

from iprisk.simulate.calibration import PUBLISHED, calibration_table
from iprisk.simulate.receipts import Receipt, receipt_calendar
from iprisk.simulate.run import SimulationSummary, simulate
from iprisk.simulate.scenario import PlantedEvent, RuleProfile, Scenario, default_scenario, load_scenario
from iprisk.simulate.truth import TRUE_LABEL, labelled_declarations

__all__ = [
    "PUBLISHED",
    "TRUE_LABEL",
    "PlantedEvent",
    "Receipt",
    "RuleProfile",
    "Scenario",
    "SimulationSummary",
    "calibration_table",
    "default_scenario",
    "labelled_declarations",
    "load_scenario",
    "receipt_calendar",
    "simulate",
]
