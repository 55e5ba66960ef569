"""Reading a reviewer's YAML file (protocol, curation) safely, with errors that name the line.

:func:`load_yaml` refuses what a hand-written configuration file never needs and an attacker
does: aliases and anchors (the "billion laughs" expansion), tags that build Python objects
(PyYAML's safe loader already refuses them), duplicate keys (the later one would silently win),
files over a size cap, and bytes that are not UTF-8. Every refusal is one sentence with the
file name and, where there is one, the line number.

The result is plain data (dicts, lists, str, int, float, bool, None) plus :class:`Lines`, a map
from key paths such as ``("outcomes", "falls", "kind")`` to their 1-based line numbers, so that
a validator can name the line of a wrong value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Lines", "YamlProblem", "load_yaml", "parse_yaml"]

#: a configuration file larger than this is refused before parsing (a protocol is a few KB)
MAX_BYTES = 5 * 1024 * 1024
#: nesting deeper than this is refused (no reviewer's file nests more than a handful of levels)
MAX_DEPTH = 50


class YamlProblem(Exception):
    """Why a YAML file was refused: ``message`` (one sentence) and ``line`` (1-based or None).

    Callers turn it into their own typed :class:`~evsynth.errors.EvsynthError`.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


@dataclass
class Lines:
    """1-based line numbers of keys and list items, by their path in the document."""

    at: dict[tuple, int] = field(default_factory=dict)

    def of(self, *path: Any) -> int | None:
        """Line of the deepest known prefix of ``path`` (None when nothing is known)."""
        p = tuple(path)
        while p:
            if p in self.at:
                return self.at[p]
            p = p[:-1]
        return None


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, without duplicate keys, recording the line of every key."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines = Lines()
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                "aliases (*name) are not allowed; write the value out in full",
                event.start_mark.line + 1,
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlProblem(
                f"anchors (&{anchor}) are not allowed; write each value out in full",
                event.start_mark.line + 1,
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlProblem(
                f"nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


def _construct(loader: _Loader, node: yaml.Node, path: tuple) -> Any:
    """Build plain data from a composed node, checking keys and recording their lines."""
    if node.tag not in _PLAIN_TAGS:  # "!!python/object/apply:...", "!custom": never constructed
        raise YamlProblem(
            f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; write plain "
            "values",
            node.start_mark.line + 1,
        )
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, (yaml.MappingNode, yaml.SequenceNode)):
                raise YamlProblem("a key must be a plain value", key_node.start_mark.line + 1)
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key == "<<":
                raise YamlProblem("merge keys (<<) are not allowed", line)
            if key in seen:
                raise YamlProblem(
                    f"key {key!r} appears twice (lines {seen[key]} and {line}); keep one", line
                )
            seen[key] = line
            loader.lines.at[(*path, key)] = line
            out[key] = _construct(loader, value_node, (*path, key))
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            loader.lines.at[(*path, i)] = item.start_mark.line + 1
            items.append(_construct(loader, item, (*path, i)))
        return items
    value = loader.construct_object(node, deep=True)
    if not isinstance(value, (str, int, float, bool, type(None))):
        # dates and timestamps: keep what the reviewer wrote
        value = str(node.value)
    return value


def parse_yaml(text: str) -> tuple[Any, Lines]:
    """Parse YAML text into plain data and its key lines (see :func:`load_yaml`).

    Raises
    ------
    YamlProblem : for syntax errors, aliases, anchors, merge keys, duplicate keys, deep nesting.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, loader.lines
        return _construct(loader, node, ()), loader.lines
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or "not valid YAML").strip()
        raise YamlProblem(f"not valid YAML ({what})", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML ({exc})") from None
    except RecursionError:
        raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path) -> tuple[Any, Lines]:
    """Read a YAML file written by a reviewer: plain data and the line of every key.

    Raises
    ------
    YamlProblem : the file is missing, too large (over 5 MiB), not UTF-8 text, not valid YAML,
        or uses aliases, anchors, merge keys or duplicate keys.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise YamlProblem("no such file") from None
    except OSError as exc:
        raise YamlProblem(f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise YamlProblem("not a regular file")
    if size > MAX_BYTES:
        raise YamlProblem(
            f"is {size / 1024 / 1024:.1f} MiB; a YAML file here is at most {MAX_BYTES // 1024 // 1024} MiB"
        )
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise YamlProblem("is UTF-16 or binary; save it as UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line
        ) from None
    return parse_yaml(text)
