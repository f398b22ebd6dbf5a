"""Safe YAML loading that remembers the line of every mapping key and sequence item.

Pydantic reports errors by key path (``("zones", 0, "polygon")``); ``YamlDocument.line_of`` turns such a
path into the line an integrator should look at. Duplicate keys, which plain YAML silently overwrites,
are reported as errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


class LineLoader(yaml.SafeLoader):
    """yaml.SafeLoader (no object construction) that also records ``path -> line`` for every node."""

    def load_with_lines(self) -> tuple[Any, dict[KeyPath, int], list[tuple[KeyPath, int, str]]]:
        try:
            node = self.get_single_node()
            if node is None:
                return None, {(): 1}, []
            lines: dict[KeyPath, int] = {}
            duplicates: list[tuple[KeyPath, int, str]] = []
            _walk(node, (), lines, duplicates)
            return self.construct_document(node), lines, duplicates
        finally:
            self.dispose()


def _walk(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], duplicates: list[tuple[KeyPath, int, str]]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                duplicates.append(((*path, key), key_node.start_mark.line + 1, key))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, duplicates)


@dataclass
class YamlDocument:
    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int, str]] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest ancestor that exists in the file (missing keys)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path`` safely. Raises yaml.YAMLError (with a mark) or OSError."""
    text = path.read_text(encoding="utf-8")
    data, lines, duplicates = LineLoader(text).load_with_lines()
    return YamlDocument(path=path, data=data, lines=lines, duplicates=duplicates)
