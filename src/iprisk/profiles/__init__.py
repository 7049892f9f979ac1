"""Risk profiles: the model, YAML/JSON exchange, the lifecycle, the vectorised rule engine and mining.

The store that keeps versions and lifecycle events is :class:`iprisk.ops.ProfileStore`.
"""

from __future__ import annotations

from iprisk.profiles.engine import compile_profiles, evaluate, matches_by_profile, profile_sql
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
from iprisk.profiles.mining import beam_search, mine_profiles
from iprisk.profiles.model import STATUSES, Criteria, Evidence, Profile, Range, Scope, admin_side

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
