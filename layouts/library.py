"""Shipped floor layouts and floor files: reading, listing and writing floors as data.

A floor file is YAML (or JSON) with the fields of :class:`~layouts.model.Floor`, in
metres, plus an optional top-level ``description`` that is not part of the floor::

    description: A small hall.
    name: DH1
    outline: [[0, 0], [9.6, 0], [9.6, 7.2], [0, 7.2]]
    rows:
      - {id: A, origin: [1.8, 1.8], count: 10, roles: {5: network}}
    trays:
      - {id: T-A, path: [[0.9, 2.4], [8.7, 2.4]], elevation: 2.55}

Shipped layouts live in ``layouts/data/{name}.yaml``. Reading turns every way a file can
be wrong (missing, malformed, unknown key, wrong type) into a
:class:`~layouts.errors.ScenarioError` listing one problem per issue; reading does not
check the geometry (call :func:`layouts.validate.check_floor` for that).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from layouts.errors import LayoutError, Problem, ScenarioError, problems_from_validation
from layouts.model import Floor

__all__ = [
    "LayoutInfo",
    "floor_from_data",
    "floor_to_yaml",
    "list_layouts",
    "load_layout",
    "parse_yaml",
    "read_floor",
]

_DATA = "data"
_SUFFIX = ".yaml"


class LayoutInfo(BaseModel):
    """A one-line summary of a shipped layout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    racks: int
    network_racks: int
    trays: int


def list_layouts() -> list[LayoutInfo]:
    """Every shipped layout, sorted by name.

    Example:
        >>> [info.name for info in list_layouts()]
        ['ai-hall', 'enterprise-hall']
    """
    out = []
    for name in _layout_names():
        data = _read_shipped(name)
        description = str(data.get("description", "")) if isinstance(data, dict) else ""
        floor = floor_from_data(data, source=f"layouts/data/{name}{_SUFFIX}")
        out.append(
            LayoutInfo(
                name=name,
                description=description.strip(),
                racks=len(floor.racks),
                network_racks=sum(r.role == "network" for r in floor.racks),
                trays=len(floor.trays),
            )
        )
    return out


def load_layout(name: str) -> Floor:
    """The shipped layout called ``name``.

    Raises:
        LayoutError: no layout has that name (the message lists the known ones).

    Example:
        >>> floor = load_layout("enterprise-hall")
        >>> len(floor.racks)
        40
    """
    names = _layout_names()
    if name not in names:
        known = ", ".join(repr(n) for n in names)
        raise LayoutError(
            Problem("floor", f"unknown layout {name!r}; known layouts: {known}", name)
        )
    return floor_from_data(_read_shipped(name), source=f"layouts/data/{name}{_SUFFIX}")


def read_floor(path: str | os.PathLike[str]) -> Floor:
    """Read a floor file: YAML, or JSON if its name ends in ``.json``.

    Args:
        path: the file to read.

    Raises:
        ScenarioError: the file is missing or unreadable, is not well-formed YAML/JSON
            (the problem gives the line and column), or does not describe a floor
            (one problem per unknown key or wrong value, located like
            ``floor.rows.0.count``).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = Path(tmp, "hall.yaml")
        ...     _ = p.write_text("outline: [[0, 0], [4, 0], [4, 3]]\\nfill_limit: 2\\n")
        ...     try:
        ...         read_floor(p)
        ...     except ScenarioError as exc:
        ...         print(exc.problems[0])
        floor.fill_limit: Input should be less than or equal to 1 (got 2)
    """
    from layouts.limits import check_document, read_limited_text

    p = Path(path)
    source = str(p)
    text = read_limited_text(p, what="floor file")
    parse = _parse_json if p.suffix.lower() == ".json" else parse_yaml
    data = parse(text, source)
    problems = check_document(data, prefix="floor")
    if problems:
        raise ScenarioError(problems)
    return floor_from_data(data, source=source)


def floor_from_data(data: Any, *, source: str = "") -> Floor:
    """Validate already-parsed data (a mapping) as a floor.

    A top-level ``description`` string is dropped: it documents the file, not the floor.

    Args:
        data: the parsed file.
        source: where it came from, used as the location of whole-file problems.

    Raises:
        ScenarioError: one problem per issue, located like ``floor.rows.0.count``.

    Example:
        >>> floor_from_data({"outline": [[0, 0], [4, 0], [4, 3]], "description": "x"}).name
        'DH1'
    """
    if data is None:
        raise ScenarioError(Problem(source, "the floor file is empty"))
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ScenarioError(Problem(source, f"a floor must be a mapping of keys, got a {kind}"))
    data = dict(data)
    description = data.pop("description", "")
    problems = []
    if not isinstance(description, str):
        problems.append(
            Problem("floor.description", "description must be a string", repr(description))
        )
    try:
        floor = Floor.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_validation(exc, prefix="floor")
    if problems:
        raise ScenarioError(problems)
    return floor


def floor_to_yaml(floor: Floor, *, description: str | None = None) -> str:
    """A floor as readable YAML that :func:`read_floor` reads back to an equal floor.

    Fields left at their defaults are omitted; points are written inline.

    Example:
        >>> from layouts.model import RackRow, Tray
        >>> floor = Floor(
        ...     outline=((0, 0), (6, 0), (6, 4), (0, 4)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=3),),
        ...     trays=(Tray(id="T-A", path=((1, 1.6), (2.8, 1.6))),),
        ... )
        >>> print(floor_to_yaml(floor), end="")
        outline: [[0.0, 0.0], [6.0, 0.0], [6.0, 4.0], [0.0, 4.0]]
        rows:
        - {id: A, origin: [1.0, 1.0], count: 3}
        trays:
        - {id: T-A, path: [[1.0, 1.6], [2.8, 1.6]]}
    """
    data: dict[str, Any] = {}
    if description:
        data["description"] = description
    data.update(floor.model_dump(exclude_defaults=True))
    if floor.keepouts:  # the kind reads better spelt out, even when it is the default
        data["keepouts"] = [k.model_dump(include={"id", "kind", "outline"}) for k in floor.keepouts]
    return yaml.dump(
        _flowing(data),
        Dumper=_FloorDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


# -- files and parsing -----------------------------------------------------------------


def _layout_names() -> list[str]:
    folder = resources.files("layouts") / _DATA
    return sorted(
        f.name[: -len(_SUFFIX)]
        for f in folder.iterdir()
        if f.is_file() and f.name.endswith(_SUFFIX)
    )


def _read_shipped(name: str) -> Any:
    source = f"layouts/data/{name}{_SUFFIX}"
    text = (resources.files("layouts") / _DATA / f"{name}{_SUFFIX}").read_text(encoding="utf-8")
    return parse_yaml(text, source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            first = seen.get(key)
        except TypeError:
            continue  # an unhashable key: let the base constructor report it
        if first is not None:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r} (first given at line {first.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    """YAML text parsed safely, a key given twice in one mapping refused.

    Raises:
        ScenarioError: malformed YAML (line and column given), a duplicate key, or
            nesting too deep to parse.

    Example:
        >>> try:
        ...     parse_yaml("a: 1\\na: 2\\n", "s.yaml")
        ... except ScenarioError as exc:
        ...     print(exc.problems[0])
        s.yaml: malformed YAML at line 2, column 1: found duplicate key 'a' (first given at line 1)
    """
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except RecursionError:
        raise ScenarioError(Problem(source, "the document is nested too deeply")) from None
    except ValueError:  # an integer longer than Python converts from text
        raise ScenarioError(
            Problem(source, "a number is too long to read (more than 4,300 digits)")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}"
            raise ScenarioError(
                Problem(source, f"malformed YAML at {where}: {reason}", where)
            ) from None
        raise ScenarioError(Problem(source, f"malformed YAML: {reason}")) from None


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ScenarioError(
            Problem(source, f"malformed JSON at {where}: {exc.msg}", where)
        ) from None


# -- writing ---------------------------------------------------------------------------


class _Flow(list):  # type: ignore[type-arg]
    """A list written inline: ``[1.0, 2.0]``."""


class _FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written inline: ``{id: A, count: 10}``."""


class _FloorDumper(yaml.SafeDumper):
    """Writes :class:`_Flow` and :class:`_FlowMap` inline, everything else as blocks."""


_FloorDumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_FloorDumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)

_FloorDumper.add_representer(
    str,
    lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None),
)

_INLINE_WIDTH = 118
"""Longest row, tray or keep-out still written on one line, in characters."""


def _flowing(value: Any) -> Any:
    """Mark what reads best inline: lists of numbers or points, small mappings, and the
    items of a list of mappings (rows, trays, keep-outs) that fit on one line."""
    if isinstance(value, dict):
        return {k: _flowing(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_flowing(v) for v in value]
        if all(not isinstance(v, dict) for v in items):
            return _Flow(items)
        return [_one_line(v) if isinstance(v, dict) else v for v in items]
    return value


def _one_line(item: dict[str, Any]) -> dict[str, Any]:
    inline = {k: _FlowMap(v) if isinstance(v, dict) else v for k, v in item.items()}
    flow = _FlowMap(inline)
    text = yaml.dump(flow, Dumper=_FloorDumper, sort_keys=False, width=10_000)
    if len(text.rstrip()) <= _INLINE_WIDTH:
        return flow
    return inline
