"""Docs that are tested: every CLI command and every setting must be documented."""

from pathlib import Path

import typer.main

from iprisk.cli import _register, app
from iprisk.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _command_paths(group: object, prefix: str = "iprisk") -> list[str]:
    click_group = typer.main.get_command(app) if group is app else group
    paths = []
    for name, cmd in getattr(click_group, "commands", {}).items():
        path = f"{prefix} {name}"
        paths.append(path)
        paths.extend(_command_paths(cmd, path))
    return paths


def test_every_cli_command_is_in_the_cli_reference() -> None:
    _register()
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = _command_paths(app)
    assert commands, "no commands registered"
    missing = [c for c in commands if f"`{c}" not in reference and f"## {c}" not in reference]
    assert not missing, f"commands missing from docs/cli.md: {missing}"


def test_every_setting_is_documented() -> None:
    reference = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [
        f"IPRISK_{name.upper()}"
        for name in Settings.model_fields
        if f"IPRISK_{name.upper()}" not in reference
    ]
    assert not missing, f"settings missing from docs/settings.md: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    head = readme[:800]
    assert "make demo" in head and "make test" in head
