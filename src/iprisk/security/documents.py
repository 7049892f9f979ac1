"""YAML and JSON documents (mappings, profiles, scenarios) loaded safely and within limits.

YAML is loaded with PyYAML's safe loader (no object tags) and bounded: at most ``max_yaml_aliases`` aliases,
and at most ``max_document_nodes`` values once every alias is expanded, checked on the composed node graph
before any Python object is built, so a 570-byte "billion laughs" file is refused in milliseconds. JSON
nesting deeper than the parser can follow is refused as unreadable instead of raising RecursionError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from iprisk.errors import InvalidInput, LimitExceeded, Problem
from iprisk.security.limits import check_size, limits


class _TooManyAliases(Exception):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts alias events while composing."""

    max_aliases = 0

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.max_aliases:
                raise _TooManyAliases
        return super().compose_node(parent, index)


def _expanded_size(root: yaml.Node, cap: int) -> int:
    """Number of values the node graph stands for with every alias expanded (stops counting past ``cap``).

    Memoised on node identity: an anchored node shared by many aliases is measured once.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if children_done:
            sizes[id(node)] = min(cap + 1, 1 + sum(sizes.get(id(c), 0) for c in children))
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _unreadable(source: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(rule, message.replace("\n", " "), file=source)], source=source)


def parse_yaml(text: str, source: str) -> Any:
    """The YAML document ``text`` as Python data; InvalidInput (``syntax``) or LimitExceeded when refused."""
    settings = limits()
    loader = _BoundedLoader(text)
    loader.max_aliases = settings.max_yaml_aliases
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, settings.max_document_nodes)
        if size > settings.max_document_nodes:
            raise LimitExceeded(
                source,
                "document size with aliases expanded",
                f"more than {settings.max_document_nodes:,} values",
                "max_document_nodes",
                f"{settings.max_document_nodes:,}",
            )
        return loader.construct_document(node)
    except _TooManyAliases:
        raise LimitExceeded(
            source,
            "YAML aliases",
            f"more than {settings.max_yaml_aliases:,} aliases",
            "max_yaml_aliases",
            f"{settings.max_yaml_aliases:,}",
        ) from None
    except yaml.YAMLError as exc:
        raise _unreadable(source, "syntax", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _unreadable(source, "syntax", "not valid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def parse_json(text: str, source: str) -> Any:
    """The JSON document ``text`` as Python data; InvalidInput (``syntax``) when it cannot be read."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(source, "syntax", f"not valid JSON: {exc}") from None
    except RecursionError:
        raise _unreadable(source, "syntax", "not valid JSON: nested too deeply") from None


def read_document(path: str | Path, kind: str | None = None) -> Any:
    """Read a YAML (``.yaml``, ``.yml``) or JSON file within the limits; ``kind`` overrides the extension.

    InvalidInput names the file: ``unreadable`` (cannot be read as UTF-8 text), ``syntax``, or a limit.
    """
    path = Path(path)
    source = str(path)
    kind = kind or ("json" if path.suffix.lower() == ".json" else "yaml")
    try:
        check_size(path, source)
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _unreadable(source, "unreadable", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise _unreadable(
            source, "unreadable", f"not UTF-8 text (byte offset {exc.start}); save as UTF-8"
        ) from None
    return parse_json(text, source) if kind == "json" else parse_yaml(text, source)
