"""The scenario: one file that says everything topo needs to plan a hall.

A scenario names a floor (a shipped layout by name, a file path, or inline geometry),
the servers that fill the compute racks, a fabric intent, catalog overrides and options::

    name: enterprise-hall
    floor: enterprise-hall          # or: floor: ./my-hall.yaml, or an inline mapping
    servers: {model: srv-1u-2x25g, per_rack: 16}
    fabric:
      kind: spine-leaf
      leaf: {model: tor-48x25g-8x100g, placement: top-of-rack}
      spine: {model: sw-32x100g-1u}
    options: {seed: 0}

:func:`load_scenario` reads YAML or JSON and reports every problem found (unknown keys,
wrong types, malformed syntax) as a :class:`~topo.errors.ScenarioError`; it never lets a
pydantic or YAML traceback reach the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from layouts.model import Floor
from topo.catalog import CatalogOverrides
from topo.errors import Problem, ScenarioError, problems_from_validation

__all__ = [
    "LeafIntent",
    "Options",
    "Scenario",
    "ServerIntent",
    "SpineIntent",
    "SpineLeafIntent",
    "load_scenario",
    "parse_scenario",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerIntent(_Frozen):
    """The servers that fill every compute rack."""

    model: str = Field(description="Server model id from the catalog.")
    per_rack: int = Field(ge=0, le=200, description="Servers in each compute rack.")


class LeafIntent(_Frozen):
    model: str = Field(description="Leaf switch model id from the catalog.")
    placement: Literal["top-of-rack", "end-of-row"] = "top-of-rack"
    per_rack: int = Field(1, ge=1, le=4, description="Leaves per compute rack (top-of-rack).")


class SpineIntent(_Frozen):
    model: str = Field(description="Spine switch model id from the catalog.")
    count: int | None = Field(
        None, ge=1, description="Number of spines; default one per leaf uplink."
    )
    racks: tuple[str, ...] | None = Field(
        None, description="Racks the spines may use; default every rack with role 'network'."
    )


class SpineLeafIntent(_Frozen):
    """A 2-tier leaf-spine (folded Clos) fabric."""

    kind: Literal["spine-leaf"] = "spine-leaf"
    name: str = Field("fabric", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    server_ports: int | None = Field(
        None, ge=1, description="NIC ports of each server used by this fabric; default all."
    )
    uplink_speed_gbps: int | None = Field(
        None, gt=0, description="Leaf-spine link speed; default the fastest the leaf offers."
    )
    oversubscription: float = Field(
        1.0,
        gt=0,
        le=64,
        description="Down/up bandwidth ratio for leaves whose ports are not pinned to a role.",
    )
    leaf: LeafIntent
    spine: SpineIntent


FabricIntent = Annotated[SpineLeafIntent, Field(discriminator="kind")]


class Options(_Frozen):
    seed: int = Field(0, ge=0, description="Seed for every randomised choice.")
    slack_m: float | None = Field(
        None, ge=0, le=20, description="Slack at each cable end; default the media's."
    )
    dress_m: float = Field(
        0.3, ge=0, le=5, description="Extra length to dress a cable inside its rack, metres."
    )


class Scenario(_Frozen):
    name: str = Field("scenario", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    floor: Annotated[
        Annotated[Floor, Tag("Floor")] | Annotated[str, Tag("str")],
        Discriminator(lambda v: "str" if isinstance(v, str) else "Floor"),
    ] = Field(description="Inline floor, the name of a shipped layout, or a path to a floor file.")
    servers: ServerIntent
    fabric: FabricIntent
    catalog: CatalogOverrides | None = None
    options: Options = Options()


def parse_scenario(data: Any) -> Scenario:
    """Validate already-parsed data (a mapping) as a scenario."""
    if not isinstance(data, dict):
        raise ScenarioError(Problem("", f"a scenario must be a mapping, got {type(data).__name__}"))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc)) from None


def read_data(text: str, source: str) -> Any:
    """Parse YAML (a superset of JSON) text, turning syntax errors into problems."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(Problem(source, f"malformed YAML at {where}: {reason}")) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON) and resolve its floor.

    A floor given as a path is read relative to the scenario file; a floor given as a name
    is looked up among the shipped layouts.

    Raises:
        ScenarioError: the file is missing, malformed or does not match the format.
        LayoutError: the floor it names cannot be found or read.
    """
    from topo.floors import resolve_floor

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(str(p), "scenario file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(str(p), f"cannot read scenario file: {exc}")) from None
    data = read_data(text, str(p))
    scenario = parse_scenario(data)
    return resolve_floor(scenario, base_dir=p.parent, allow_paths=True)
