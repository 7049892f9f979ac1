"""Risk profiles: the model, YAML/JSON exchange, the lifecycle, the vectorised rule engine and mining.

The store that keeps versions and lifecycle events is :class:`iprisk.store.ProfileStore`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from iprisk.profiles.io import dump_profiles, load_profiles, profiles_from_data, profiles_to_data
from iprisk.profiles.lifecycle import (
    ACTIONS,
    TRANSITIONS,
    Event,
    missing_approvals,
    required_sides,
    revise,
    transition,
)
from iprisk.profiles.model import STATUSES, Criteria, Evidence, Profile, Range, Scope, admin_side

if TYPE_CHECKING:
    from iprisk.profiles.engine import compile_profiles, evaluate, matches_by_profile, profile_sql
    from iprisk.profiles.mining import beam_search, mine_profiles

#: Loaded on first use: the rule engine needs DuckDB and pandas, the miner scipy, and the CLI imports this
#: package for the model alone (every `iprisk` command, even `--help`, would pay about a second).
_LAZY = {
    "compile_profiles": "engine",
    "evaluate": "engine",
    "matches_by_profile": "engine",
    "profile_sql": "engine",
    "beam_search": "mining",
    "mine_profiles": "mining",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"iprisk.profiles.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIONS",
    "STATUSES",
    "TRANSITIONS",
    "Criteria",
    "Event",
    "Evidence",
    "Profile",
    "Range",
    "Scope",
    "admin_side",
    "beam_search",
    "compile_profiles",
    "dump_profiles",
    "evaluate",
    "load_profiles",
    "matches_by_profile",
    "mine_profiles",
    "missing_approvals",
    "profile_sql",
    "profiles_from_data",
    "profiles_to_data",
    "required_sides",
    "revise",
    "transition",
]
