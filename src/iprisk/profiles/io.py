"""Profiles to and from YAML or JSON files, so that administrations can exchange them.

A file holds ``{format: iprisk-profiles, format_version: 1, profiles: [...]}``; a bare list of profiles or a
single profile mapping is accepted on reading too. Errors name the file, the profile (its id and position)
and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from iprisk.errors import InvalidInput, Problem, UnsupportedFormat
from iprisk.profiles.model import Profile

FORMAT = "iprisk-profiles"
FORMAT_VERSION = 1
_YAML = (".yaml", ".yml")
_JSON = (".json",)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _YAML:
        return "yaml"
    if suffix in _JSON:
        return "json"
    raise UnsupportedFormat(str(path), "profiles are read and written as .yaml, .yml or .json")


def profiles_from_data(data: Any, *, source: str = "input") -> list[Profile]:
    """Validate already-parsed data (a document, a list or one profile); InvalidInput lists every problem."""
    if isinstance(data, dict) and "profiles" in data:
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise InvalidInput([Problem("format", f"not a profiles file (format {fmt!r})", file=source)])
        items = data["profiles"]
    elif isinstance(data, dict):
        items = [data]
    else:
        items = data
    if not isinstance(items, list):
        raise InvalidInput(
            [Problem("format", "expected a list of profiles", file=source)], source=source, total=1
        )
    problems: list[Problem] = []
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(Problem("format", f"profile #{i} is not a mapping", row=i, file=source))
            continue
        pid = str(item.get("id", f"#{i}"))
        try:
            profile = Profile.model_validate(item)
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"]) or None
                value = None if e["type"] == "missing" else _short(e.get("input"))
                problems.append(
                    Problem(e["type"], f"profile {pid}: {field}: {e['msg']}", i, field, value, source)
                )
            continue
        key = f"{profile.id} v{profile.version}"
        if key in seen:
            problems.append(Problem("duplicate", f"profile {key} also at #{seen[key]}", i, "id", pid, source))
            continue
        seen[key] = i
        profiles.append(profile)
    if problems:
        raise InvalidInput(problems, source=source)
    return profiles


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_profiles(path: str | Path) -> list[Profile]:
    """Read profiles from a YAML or JSON file; InvalidInput names file, profile id and field of problems."""
    from iprisk.security import read_document

    path = Path(path)
    data = read_document(path, _kind(path))  # bounded: aliases, expanded size, file size
    return profiles_from_data(data, source=str(path))


def profiles_to_data(profiles: Iterable[Profile]) -> dict[str, Any]:
    """The exchange document for ``profiles`` (plain JSON types)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "profiles": [_compact(p.model_dump(mode="json", exclude_none=True)) for p in profiles],
    }


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty criteria and an empty office list: a person reads only what constrains."""
    data["criteria"] = {k: v for k, v in data["criteria"].items() if v not in ([], None)}
    if not data["scope"].get("offices"):
        data["scope"].pop("offices", None)
    return data


def dump_profiles(profiles: Sequence[Profile], path: str | Path) -> Path:
    """Write profiles to a YAML or JSON file (by extension); returns the path."""
    path = Path(path)
    kind = _kind(path)
    data = profiles_to_data(profiles)
    if kind == "yaml":
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from iprisk.security import atomic_write

    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
