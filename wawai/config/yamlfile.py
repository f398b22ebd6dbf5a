"""Safe YAML loading that remembers the line of every mapping key and sequence item.

Pydantic reports errors by key path (``("zones", 0, "polygon")``); ``YamlDocument.line_of`` turns such a
path into the line an integrator should look at. Duplicate keys, which plain YAML silently overwrites,
are reported as errors.

Config files are read as YAML 1.2 (core schema): ``off``, ``on``, ``yes``, ``no`` and ``22:00`` stay the
text the user wrote (YAML 1.1, PyYAML's default, reads them as booleans and a number of minutes), and
``0123`` is the number 123, not octal. Plain scalars that still become a boolean, number or null are kept
in ``YamlDocument.typed`` so an error can say what was read and how to write it.

Whatever a file holds, loading it either succeeds or raises ``yaml.YAMLError`` (``YamlRefused`` for the
limits below) or ``OSError``: a hostile or broken file costs bounded time and memory and never takes
the caller down. Limits: ``MAX_FILE_BYTES``, UTF-8 only, ``MAX_DEPTH`` levels of nesting, and
``MAX_VALUES`` values once aliases are expanded (an alias bomb is a few kB that expands to billions).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024  # a camera file is a few kB; 1 MiB leaves room for large polygons
MAX_DEPTH = 64  # the schema nests 5 levels deep
MAX_VALUES = 100_000  # after alias expansion; 100 zones of 100 points are about 30,000
MAX_NUMBER_DIGITS = 100  # a longer number is refused (Python refuses past 4,300 digits, with a traceback)
TYPED_TEXT_SHOWN = 40  # characters of a typed scalar quoted back in an error message

STR_TAG = "tag:yaml.org,2002:str"
_TAG_KIND = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "empty (null)",
}


class YamlRefused(yaml.YAMLError):
    """The file is not read at all: too large, not UTF-8, too deep, an alias bomb, a link outside."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit types, a nesting limit and bounded numbers."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # The composer recurses once per level: refuse deep nesting before Python's recursion limit does.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlRefused(f"not read: nested more than {MAX_DEPTH} levels deep", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml12_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        if len(text) > MAX_NUMBER_DIGITS:
            raise ConstructorError(None, None, f"a number of more than {MAX_NUMBER_DIGITS} digits",
                                   node.start_mark)
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)  # "0123" is 123 in YAML 1.2, not octal

    def construct_bounded_float(self, node: ScalarNode) -> float:
        if len(str(node.value)) > MAX_NUMBER_DIGITS:
            raise ConstructorError(None, None, f"a number of more than {MAX_NUMBER_DIGITS} digits",
                                   node.start_mark)
        return float(super().construct_yaml_float(node))


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), in PyYAML's resolver form.
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
Yaml12Loader.add_constructor("tag:yaml.org,2002:int", Yaml12Loader.construct_yaml12_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", Yaml12Loader.construct_bounded_float)


def _check_expansion(root: Node) -> None:
    """Refuse a node graph that expands past MAX_VALUES values, or that contains itself.

    Aliases make the graph a DAG (or a cycle): each node's expanded size is computed once, without
    recursion, so a bomb is measured in microseconds instead of expanded into gigabytes.
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            depths[key] = 1 + max((depths[id(child)] for child in children), default=0)
            if sizes[key] > MAX_VALUES:
                raise YamlRefused(
                    f"not read: aliases (*name) expand to more than {MAX_VALUES:,} values; write the "
                    "values out or use fewer aliases", root.start_mark.line + 1,
                )
            if depths[key] > MAX_DEPTH:  # aliases nested in aliases: deep without deep indentation
                raise YamlRefused(f"not read: nested more than {MAX_DEPTH} levels deep (with aliases "
                                  "expanded)", node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise YamlRefused("not read: an alias (*name) refers to the value that contains it",
                              node.start_mark.line + 1)
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


@dataclass
class _LineMap:
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int, str]] = field(default_factory=list)
    typed: dict[KeyPath, tuple[str, str]] = field(default_factory=dict)
    walked: set[int] = field(default_factory=set)

    def walk(self, root: Node) -> None:
        """Each node is walked once: an aliased node's own paths are its first use (no re-walk)."""
        stack: list[tuple[Node, KeyPath]] = [(root, ())]
        while stack:
            node, path = stack.pop()
            self.lines.setdefault(path, node.start_mark.line + 1)
            if isinstance(node, ScalarNode):
                self._note_typed(node, path)
            if id(node) in self.walked:
                continue
            self.walked.add(id(node))
            if isinstance(node, MappingNode):
                seen: set[str] = set()
                for key_node, value_node in node.value:
                    key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
                    if key in seen:
                        self.duplicates.append(((*path, key), key_node.start_mark.line + 1, key))
                    seen.add(key)
                    self.lines[(*path, key)] = key_node.start_mark.line + 1
                    stack.append((value_node, (*path, key)))
            elif isinstance(node, SequenceNode):
                for index, item in enumerate(node.value):
                    self.lines[(*path, index)] = item.start_mark.line + 1
                    stack.append((item, (*path, index)))

    def _note_typed(self, node: ScalarNode, path: KeyPath) -> None:
        kind = _TAG_KIND.get(node.tag)
        if kind is not None and node.style is None:  # plain, unquoted: YAML chose the type
            self.typed[path] = (kind, str(node.value)[:TYPED_TEXT_SHOWN])


@dataclass
class YamlDocument:
    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int, str]] = field(default_factory=list)
    # Unquoted scalars YAML read as a boolean, number or null: path -> (what it became, the text).
    typed: dict[KeyPath, tuple[str, str]] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest ancestor that exists in the file (missing keys)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse YAML text within the limits. Raises yaml.YAMLError (with a mark, or YamlRefused)."""
    loader = Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(path=path, data=None, lines={(): 1})
        _check_expansion(node)
        lines = _LineMap()
        lines.walk(node)
        try:
            data = loader.construct_document(node)
        except (ValueError, TypeError, OverflowError) as exc:  # a bad !!timestamp, !!binary, ...
            raise YamlRefused(f"not read: a tagged value cannot be made ({type(exc).__name__})") from None
        return YamlDocument(path=path, data=data, lines=lines.lines, duplicates=lines.duplicates,
                            typed=lines.typed)
    finally:
        loader.dispose()


def read_text_limited(path: Path, allowed_roots: tuple[Path, ...] = ()) -> str:
    """The file's text: a regular file of at most MAX_FILE_BYTES, UTF-8 (a BOM is fine).

    With ``allowed_roots``, a link whose target is outside every one of them is refused before it is
    opened: running as root, a planted ``cameras/x.yaml -> /etc/shadow`` must not be read (its lines
    would end up in error messages).
    """
    target, flags = path, os.O_RDONLY | os.O_NONBLOCK  # O_NONBLOCK: a FIFO cannot hang the loader
    if allowed_roots:
        flags |= os.O_NOFOLLOW  # what was checked below cannot be swapped for a link before it is opened
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:
                raise YamlRefused("not read: a link that loops back on itself") from None
            if not any(target.is_relative_to(root.resolve()) for root in allowed_roots):
                raise YamlRefused("not read: a link to a file outside the config folder; copy the "
                                  "file into the folder instead")
    too_large = f"not read: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB (a config file is a few kB)"
    with os.fdopen(os.open(target, flags), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise YamlRefused("not read: not a regular file")
        if os.fstat(handle.fileno()).st_size > MAX_FILE_BYTES:
            raise YamlRefused(too_large)
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # it grew while being read
        raise YamlRefused(too_large)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlRefused("not read: not UTF-8 text (a binary file?); save it as UTF-8", line) from None


def load_yaml(path: Path, allowed_roots: tuple[Path, ...] = ()) -> YamlDocument:
    """Read and parse ``path`` safely. Raises yaml.YAMLError (with a mark, or YamlRefused) or OSError."""
    return parse_yaml(read_text_limited(path, allowed_roots), path)
