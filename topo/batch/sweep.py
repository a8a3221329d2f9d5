"""Sweeps: one file that describes many design variants of a scenario.

A sweep names a base scenario (a path relative to the sweep file, or the scenario inline)
and the fields that vary, each by a dotted path into the scenario::

    name: leaf-placement
    base: enterprise-hall.yaml          # or an inline scenario mapping
    set:                                # changes applied to every variant (optional)
      fabric.leaf.model: sw-32x100g-1u
    axes:                               # full product: 2 x 2 = 4 variants
      fabric.leaf.placement: [top-of-rack, end-of-row]
      fabric.oversubscription: [1, 3]
    sort: cost_usd                      # default order of summary.csv (optional)
    pareto: [cost_usd, optics_power_w]  # the two metrics of the Pareto front (optional)

or, instead of ``axes``, an explicit list of named variants::

    variants:
      - name: tor
        set: {fabric.leaf.placement: top-of-rack}
      - name: eor-wide-trays
        set: {fabric.leaf.placement: end-of-row, floor.trays.*.width: 0.45}

A path step into a list takes an index (``floor.trays.0.width``), an element's ``id`` or
``name`` (``floor.trays.T-A.width``, ``fabrics.compute.oversubscription``) or ``*`` for
every element. A path into ``floor`` when the floor
is a shipped layout name or a file reads that floor first, so ``floor.trays.*.width``
works on ``floor: enterprise-hall``. A ``floor`` value that is a file path is read relative
to the sweep file.

Steps:

1. :func:`load_sweep` reads and checks the file's shape (:class:`Sweep`, frozen, unknown
   keys refused).
2. :func:`expand_sweep` checks every path against the scenario format, builds every
   variant's scenario, parses it and resolves its floor; every problem found is raised
   together as one :class:`SweepError`, each located at the axis or variant at fault
   (``axes.fabric.leaf.modle: no such field in the scenario``).
3. Each :class:`Variant` carries its canonical scenario JSON (``scenario.json`` in its
   output folder, a file ``topo plan`` reads back) and that text's SHA-256, which
   ``topo batch --resume`` compares.

Variant names are deterministic and safe as folder names: for a product they join
``key=value`` for each axis, the key being the shortest tail of the path that tells the axes
apart (``placement=end-of-row,oversubscription=3``), so adding a value to an axis keeps
every other variant's name (and ``--resume`` skips them).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from layouts.errors import TopoError
from layouts.limits import read_limited_text
from topo.errors import Problem, ScenarioError
from topo.scenario import Scenario, parse_scenario, read_data

__all__ = [
    "Sweep",
    "SweepError",
    "Variant",
    "VariantSpec",
    "expand_sweep",
    "load_sweep",
    "parse_sweep",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._=,+-]*$"
_MAX_NAME = 120


class SweepError(ScenarioError):
    """A sweep that cannot run: bad file, unknown field path, a variant that is not valid."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


Assignments = dict[str, Any]


class VariantSpec(_Frozen):
    """One named variant: the fields it changes in the base scenario."""

    name: str | None = Field(
        None,
        max_length=_MAX_NAME,
        pattern=NAME_PATTERN,
        description="Folder-safe name; default built from the changed values.",
    )
    description: str = ""
    assign: Assignments = Field(
        alias="set", min_length=1, description="Dotted field path -> value."
    )


class Sweep(_Frozen):
    """A sweep file: a base scenario and the variants to plan.

    Example:
        >>> s = parse_sweep({"base": "hall.yaml", "axes": {"servers.per_rack": [8, 12]}})
        >>> s.axes
        {'servers.per_rack': (8, 12)}
    """

    name: str = Field("sweep", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str | dict[str, Any] = Field(
        description="Scenario file (relative to the sweep file) or an inline scenario."
    )
    assign: Assignments = Field(
        default_factory=dict, alias="set", description="Changes applied to every variant."
    )
    axes: dict[str, Annotated[tuple[Any, ...], Field(min_length=1)]] | None = Field(
        None, description="Dotted field path -> values; every combination is a variant."
    )
    variants: tuple[VariantSpec, ...] | None = Field(
        None, min_length=1, description="Explicit variants, instead of axes."
    )
    sort: str = Field("cost_usd", description="Metric summary.csv is sorted by.")
    pareto: tuple[str, str] = Field(
        ("cost_usd", "optics_power_w"), description="The two metrics of the Pareto front."
    )

    @field_validator("axes")
    @classmethod
    def _some_axes(cls, v: dict[str, tuple[Any, ...]] | None) -> Any:
        if v is not None and not v:
            raise ValueError("give at least one axis")
        return v


@dataclass(frozen=True, slots=True)
class Variant:
    """One design variant, ready to plan.

    Attributes:
        name: folder-safe, unique within the sweep.
        values: the varied fields' values in display form, by dotted path, in axis order.
        scenario: the parsed scenario, floor inline.
        scenario_json: canonical JSON of ``scenario`` (sorted keys), as written to
            ``scenario.json``.
        sha256: hex digest of ``scenario_json``.
        assigned: the dotted paths this variant sets, for locating its problems.
    """

    name: str
    values: tuple[tuple[str, str], ...]
    scenario: Scenario
    scenario_json: str
    sha256: str
    assigned: tuple[str, ...] = ()
    from_axes: bool = True

    def locate(self, problem: Problem) -> Problem:
        """The problem, located at the axis or variant that caused it.

        A problem at (or under) a path this variant sets is put on that axis
        (``axes.fabric.spine.model``) or on the variant's ``set``; any other on the variant.
        """
        loc = problem.location
        for path in self.assigned:
            if _under(loc, path):
                where = f"axes.{path}" if self.from_axes else f"variants.{self.name}.set.{path}"
                value = _value_of(self, path)
                msg = problem.message
                if self.from_axes and value is not None and value not in msg:
                    msg = f"{msg} (value {value})"
                return Problem(where, msg, problem.value)
        inner = f".{loc}" if loc else ""
        return Problem(f"variants.{self.name}{inner}", problem.message, problem.value)


def _value_of(variant: Variant, path: str) -> str | None:
    return dict(variant.values).get(path)


def _under(location: str, path: str) -> bool:
    pattern = re.escape(path).replace(r"\*", r"[^.]+")
    return re.fullmatch(rf"{pattern}(\..*)?", location) is not None


# -- reading ------------------------------------------------------------------------------


def parse_sweep(data: Any, *, source: str = "") -> Sweep:
    """Validate already-parsed data (a mapping) as a sweep.

    Raises:
        SweepError: one problem per unknown key or wrong value.
    """
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise SweepError(Problem(source, f"a sweep must be a mapping of keys, got a {kind}"))
    problems: list[Problem] = []
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as exc:
        raise SweepError(_sweep_problems(exc)) from None
    if sweep.axes is None and sweep.variants is None:
        problems.append(Problem("", "a sweep needs 'axes' or 'variants'"))
    if sweep.axes is not None and sweep.variants is not None:
        problems.append(Problem("variants", "give 'axes' or 'variants', not both"))
    if problems:
        raise SweepError(problems)
    return sweep


_UNION_TAG = re.compile(r"^(str|int|float|bool|(dict|list|tuple)\[.*\])$")


def _sweep_problems(exc: ValidationError) -> list[Problem]:
    """One problem per pydantic error; dotted axis paths are kept whole in locations."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        parts = [str(p) for p in err["loc"] if not _UNION_TAG.match(str(p))]
        parts = ["set" if p == "assign" else p for p in parts]
        location = ".".join(parts)
        if err["type"] == "extra_forbidden":
            problem = Problem(location, f"unknown key {parts[-1]!r}", parts[-1])
        elif err["type"] == "missing":
            problem = Problem(location, f"missing required key {parts[-1]!r}")
        else:
            value = err.get("input")
            shown = value if isinstance(value, str | int | float | bool) else None
            msg = err["msg"] if shown is None else f"{err['msg']} (got {shown!r})"
            problem = Problem(location, msg, shown)
        if problem not in out:
            out.append(problem)
    return out


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file (YAML or JSON).

    Raises:
        SweepError: the file is missing, malformed or does not match the sweep format.
    """
    p = Path(path)
    try:
        text = read_limited_text(p, what="sweep file")
        data = read_data(text, str(p))
    except ScenarioError as exc:
        raise SweepError(exc.problems) from None
    return parse_sweep(data, source=str(p))


# -- checking paths against the scenario format ---------------------------------------------


def _options(tp: Any) -> list[Any]:
    """The concrete types an annotation may hold (Annotated and unions unwrapped)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _options(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for arg in typing.get_args(tp) for t in _options(arg)]
    if tp is type(None):
        return []
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(tp: Any, part: str) -> list[Any]:
    """The types reached from ``tp`` by one path step; empty if the step is impossible."""
    out: list[Any] = []
    for t in _options(tp):
        origin = typing.get_origin(t)
        if _is_model(t):
            fields = t.model_fields
            if part in fields:
                out.append(fields[part].annotation)
            else:
                out.extend(f.annotation for f in fields.values() if f.alias == part)
        elif origin in (tuple, list):
            args = typing.get_args(t)
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                if part.isdigit() and int(part) < len(args):
                    out.append(args[int(part)])
                elif part == "*":
                    out.extend(args)
                continue
            elem = args[0] if args else Any
            has_id = any(
                _is_model(e) and ("id" in e.model_fields or "name" in e.model_fields)
                for e in _options(elem)
            )
            if part.isdigit() or part == "*" or has_id:
                out.append(elem)
        elif origin is dict:
            args = typing.get_args(t)
            out.append(args[1] if len(args) == 2 else Any)
        elif t is Any:
            out.append(Any)
    return out


def _fields_of(tp: Any) -> list[str]:
    names: list[str] = []
    for t in _options(tp):
        if _is_model(t):
            names += [f.alias or n for n, f in t.model_fields.items()]
    return names


def check_path(path: str) -> str | None:
    """Why ``path`` names no field of the scenario format, or None if it does.

    Example:
        >>> check_path("fabric.leaf.model") is None
        True
        >>> check_path("fabric.leaf.modle")[:48]
        'no such field in the scenario (fabric.leaf has: '
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return f"{path!r} is not a dotted field path"
    current: list[Any] = [Scenario]
    for i, part in enumerate(parts):
        nxt = [t for tp in current for t in _step(tp, part)]
        if not nxt:
            where = ".".join(parts[:i]) or "the scenario"
            fields = sorted(set(_fields_of_all(current)), key=_fields_of_all(current).index)
            if fields:
                return f"no such field in the scenario ({where} has: {', '.join(fields)})"
            return f"{where} is a single value; it has no field {part!r}"
        current = nxt
    return None


def _fields_of_all(tps: Iterable[Any]) -> list[str]:
    return [n for tp in tps for n in _fields_of(tp)]


# -- applying values ---------------------------------------------------------------------


class _PathError(Exception):
    """A path that the scenario format allows but the base scenario's data cannot take."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _assign(node: Any, parts: list[str], value: Any, done: str) -> None:
    part, rest = parts[0], parts[1:]
    here = f"{done}.{part}" if done else part
    if isinstance(node, dict):
        if not rest:
            node[part] = copy.deepcopy(value)
            return
        child = node.get(part)
        if child is None:
            if rest[0] == "*" or rest[0].isdigit():
                raise _PathError(f"{here} is empty in the base scenario: no element {rest[0]!r}")
            child = node[part] = {}
        _assign(child, rest, value, here)
    elif isinstance(node, list):
        if part == "*":
            targets = list(range(len(node)))
        elif part.isdigit():
            targets = [int(part)] if int(part) < len(node) else []
        else:
            targets = [i for i, e in enumerate(node) if isinstance(e, dict) and part in _ids(e)]
        if not targets:
            raise _PathError(f"{done} has no element {part!r} ({len(node)} in the base scenario)")
        for i in targets:
            if rest:
                _assign(node[i], rest, value, here)
            else:
                node[i] = copy.deepcopy(value)
    else:
        raise _PathError(f"{done} is {node!r}, not an object with fields")


def _ids(element: dict[str, Any]) -> tuple[Any, ...]:
    """What a list element may be selected by in a path: its ``id`` or its ``name``."""
    return tuple(str(element[k]) for k in ("id", "name") if k in element)


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json"))


def _anchor_floor(value: Any, base_dir: Path) -> Any:
    """A relative floor file path made absolute against ``base_dir``."""
    if isinstance(value, str) and _looks_like_path(value) and not Path(value).is_absolute():
        return str((base_dir / value).resolve())
    return value


def _inline_floor(data: dict[str, Any]) -> None:
    """Replace a floor given by name or path with its data, so paths can reach into it."""
    from layouts.library import load_layout, read_floor

    ref = data.get("floor")
    if isinstance(ref, str):
        floor = read_floor(ref) if _looks_like_path(ref) else load_layout(ref)
        data["floor"] = floor.model_dump(mode="json")


def _apply(data: dict[str, Any], assignments: dict[str, Any], sweep_dir: Path) -> list[_PathError]:
    """Set every dotted path in ``data``; a whole ``floor`` first, then paths into it.

    Returns the paths the data could not take; every other path is set.
    """
    for path, value in assignments.items():
        if path == "floor":
            data["floor"] = _anchor_floor(value, sweep_dir)
    errors = []
    for path, value in assignments.items():
        if path == "floor":
            continue
        if path.startswith("floor."):
            _inline_floor(data)
        try:
            _assign(data, path.split("."), value, "")
        except _PathError as exc:
            errors.append(_PathError(str(exc), path))
    return errors


# -- naming ------------------------------------------------------------------------------


def _display(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return str(getattr(value, "name", None) or getattr(value, "id", None) or "inline")
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")
    return s or "x"


def _short_keys(paths: list[str]) -> dict[str, str]:
    """The shortest tail of each path that no other path ends with."""
    out: dict[str, str] = {}
    for path in paths:
        parts = path.split(".")
        for k in range(1, len(parts) + 1):
            tail = ".".join(parts[-k:])
            clash = any(o != path and (o == tail or o.endswith("." + tail)) for o in paths)
            if not clash and tail != "*":
                out[path] = _slug(tail.replace(".*", ""))
                break
        else:
            out[path] = _slug(path)
    return out


def _name_of(pairs: list[tuple[str, Any]], keys: dict[str, str]) -> str:
    name = ",".join(f"{keys[p]}={_slug(_display(v))}" for p, v in pairs)
    if len(name) > _MAX_NAME:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name[: _MAX_NAME - 9].rstrip("-.,=") + "-" + digest
    return name


# -- expanding ---------------------------------------------------------------------------


def _base_data(sweep: Sweep, sweep_dir: Path) -> dict[str, Any]:
    if isinstance(sweep.base, dict):
        data = copy.deepcopy(sweep.base)
        if "floor" in data:
            data["floor"] = _anchor_floor(data["floor"], sweep_dir)
        return data
    path = Path(sweep.base)
    if not path.is_absolute():
        path = sweep_dir / path
    try:
        text = read_limited_text(path, what="base scenario")
    except ScenarioError as exc:
        raise SweepError([Problem("base", p.message) for p in exc.problems]) from None
    try:
        data = read_data(text, str(path))
    except ScenarioError as exc:
        raise SweepError([Problem(f"base.{p.location}", p.message) for p in exc.problems]) from None
    if not isinstance(data, dict):
        raise SweepError(Problem("base", f"base scenario {str(path)!r} is not a mapping"))
    if "floor" in data:
        data["floor"] = _anchor_floor(data["floor"], path.parent)
    return data


def canonical_json(scenario: Scenario) -> str:
    """A scenario as canonical JSON: sorted keys, two-space indent, final newline.

    Keys the scenario left unset stay out, so the scenario read back is the one a user
    would have written (and ``topo plan`` exports it the same way).
    """
    doc = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _specs(sweep: Sweep) -> list[tuple[str | None, dict[str, Any], bool]]:
    """(explicit name or None, assignments, from axes) for every variant."""
    if sweep.axes is not None:
        paths = list(sweep.axes)
        combos = itertools.product(*(sweep.axes[p] for p in paths))
        return [(None, dict(zip(paths, combo, strict=True)), True) for combo in combos]
    assert sweep.variants is not None
    return [(v.name, dict(v.assign), False) for v in sweep.variants]


def expand_sweep(sweep: Sweep, *, base_dir: str | Path = ".") -> tuple[Variant, ...]:
    """Every variant of a sweep, its scenario built, parsed and its floor resolved.

    Args:
        sweep: the parsed sweep.
        base_dir: the sweep file's folder; relative paths (base, floors) start there.

    Returns:
        The variants, in axis-product order (or the order listed).

    Raises:
        SweepError: every problem found, each located at its axis or variant. Only the
            scenario format is checked here; :func:`topo.planner.validate_scenario` runs
            on each variant before a batch plans anything.
    """
    from topo.scenario import resolve_floor

    sweep_dir = Path(base_dir)
    problems: list[Problem] = []
    # 1. every path names a field of the scenario format
    where_of: dict[str, str] = {p: f"set.{p}" for p in sweep.assign}
    if sweep.axes is not None:
        where_of.update({p: f"axes.{p}" for p in sweep.axes})
    for i, v in enumerate(sweep.variants or ()):
        where_of.update({p: f"variants.{v.name or i}.set.{p}" for p in v.assign})
    for path, where in where_of.items():
        why = check_path(path)
        if why:
            problems.append(Problem(where, why, path))
    for path, values in (sweep.axes or {}).items():
        shown = [_display(v) for v in values]
        dupes = sorted({s for s in shown if shown.count(s) > 1})
        if dupes:
            problems.append(Problem(f"axes.{path}", f"values repeat: {', '.join(dupes)}"))
    if problems:
        raise SweepError(problems)
    base = _base_data(sweep, sweep_dir)

    # 2. build, parse and resolve every variant
    specs = _specs(sweep)
    all_paths = list(dict.fromkeys(p for _n, a, _x in specs for p in a))
    keys = _short_keys(all_paths)
    variants: list[Variant] = []
    names: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()

    def report(p: Problem) -> None:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            problems.append(p)

    for index, (explicit, assign, from_axes) in enumerate(specs):
        name = explicit or _name_of(list(assign.items()), keys)
        label = f"variants.{name}"
        if name in names:
            first = names[name] + 1
            report(Problem(label, f"variants #{first} and #{index + 1} are both named {name!r}"))
            continue
        names[name] = index
        values = tuple((p, _display(v)) for p, v in assign.items())
        stub = Variant(name, values, None, "", "", tuple(assign), from_axes)  # type: ignore[arg-type]
        data = copy.deepcopy(base)
        try:
            for exc in _apply(data, sweep.assign, sweep_dir):
                report(Problem(f"set.{exc.path}", str(exc)))
            for exc in _apply(data, assign, sweep_dir):
                where = f"axes.{exc.path}" if from_axes else f"{label}.set.{exc.path}"
                report(Problem(where, str(exc)))
            scenario = resolve_floor(parse_scenario(data), allow_paths=True)
        except TopoError as exc:
            for p in exc.problems:
                report(stub.locate(p))
            continue
        text = canonical_json(scenario)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        variants.append(Variant(name, values, scenario, text, digest, tuple(assign), from_axes))
    if problems:
        raise SweepError(problems)
    return tuple(variants)
