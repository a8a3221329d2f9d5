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

Several networks over the same servers go under ``fabrics:`` instead (kinds
``spine-leaf``, ``clos``, ``rail-optimized``, ``management``), each taking the NIC group of
the servers it names with ``nics:``::

    servers: [{model: gpu-8x400g-8u, per_rack: 4, racks: [A, B]}]
    fabrics:
      - {name: compute, kind: rail-optimized, su_nodes: 32,
         leaf: {model: ib-64x400g-1u}, spine: {model: ib-64x400g-1u}}
      - {name: storage, kind: clos, nics: storage,
         leaf: {model: sw-64x400g-1u, placement: end-of-row}, spine: {model: sw-64x400g-1u}}
      - {name: oob, kind: management, switch: {model: mgmt-48x1g-4x10g, per: rack}}

:func:`load_scenario` reads YAML or JSON and reports every problem found (unknown keys,
wrong types, malformed syntax) as a :class:`~topo.errors.ScenarioError`; it never lets a
pydantic or YAML traceback reach the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictInt,
    Tag,
    ValidationError,
    model_validator,
)

from layouts.errors import LayoutError
from layouts.limits import LIMITS, check_document, read_limited_text, too_many
from layouts.model import Floor
from topo.catalog import CatalogOverrides, MediaRule
from topo.errors import Problem, ScenarioError, problems_from_validation

__all__ = [
    "ClosIntent",
    "CoreIntent",
    "DataFabricIntent",
    "ExistingPlan",
    "FabricIntent",
    "JoinIntent",
    "LeafIntent",
    "ManagementIntent",
    "MgmtSwitchIntent",
    "MgmtUplinkIntent",
    "Options",
    "RailIntent",
    "RailLeafIntent",
    "Scenario",
    "ServerIntent",
    "SourcingOptions",
    "SpineIntent",
    "SpineLeafIntent",
    "attach_installed",
    "check_scenario_size",
    "existing_files",
    "existing_folder",
    "floor_of",
    "load_scenario",
    "parse_scenario",
    "resolve_existing",
    "resolve_floor",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerIntent(_Frozen):
    """Servers of one model, and the racks they fill.

    A scenario lists one group (``servers: {model: ..., per_rack: 16}``) or several
    (``servers: [{model: gpu-..., racks: [A, B]}, {model: stor-..., racks: [C01, C02]}]``);
    a group without ``racks`` takes every compute rack no other group names. Racks may be
    given as ranges within a row (``A01..A16``); ``count`` caps the group's servers, filled
    in floor order.
    """

    model: str = Field(description="Server model id from the catalog.")
    per_rack: int | None = Field(
        None,
        ge=0,
        le=200,
        description="Servers in each rack; default as many as the rack's height and power "
        "budget allow.",
    )
    racks: tuple[str, ...] | None = Field(
        None,
        description="Rack ids ('A01'), ranges within a row ('A01..A16') or whole rows ('A') "
        "these servers fill; default every compute rack no other server group names.",
    )
    count: int | None = Field(
        None,
        ge=1,
        description="Servers in the group in all, filling its racks in floor order; default "
        "as many as the racks hold.",
    )


class LeafIntent(_Frozen):
    model: str = Field(description="Leaf switch model id from the catalog.")
    placement: Literal["top-of-rack", "end-of-row"] = "top-of-rack"
    per_rack: int = Field(1, ge=1, le=4, description="Leaves per compute rack (top-of-rack).")
    peer_links: StrictInt | None = Field(
        None,
        ge=0,
        le=8,
        description="Peer links between the two leaves of each dual-homing pair (leaves 1-2, "
        "3-4 of a rack, top-of-rack only), taken from the leaf's last uplinks; default none.",
    )


class SpineIntent(_Frozen):
    model: str = Field(description="Spine switch model id from the catalog.")
    count: int | None = Field(
        None,
        ge=1,
        description="Number of spines (per pod in a 3-tier fabric); default one per leaf "
        "uplink for spine-leaf, the fewest that keep links even for clos and rail-optimized.",
    )
    racks: tuple[str, ...] | None = Field(
        None, description="Racks the spines may use; default every rack with role 'network'."
    )


class CoreIntent(_Frozen):
    model: str | None = Field(None, description="Core switch model; default the spine's.")
    count: int | None = Field(
        None, ge=1, description="Number of cores; default the fewest that keep links even."
    )
    racks: tuple[str, ...] | None = Field(
        None, description="Racks the cores may use; default every rack with role 'network'."
    )


class JoinIntent(_Frozen):
    """Links from a fabric's top tier to another data fabric's top tier (a new
    generation's spines to the last one's), spread round robin over the switches of
    both tiers, each on a free port: give the tiers spare ports (``spine.count``).

    Example:
        >>> JoinIntent(fabric="ndr", links=8)
        JoinIntent(fabric='ndr', links=8, speed_gbps=None)
    """

    fabric: str = Field(min_length=1, description="the other data fabric, by name")
    links: int = Field(ge=1, le=100_000, description="links between the two top tiers")
    speed_gbps: int | None = Field(
        None,
        gt=0,
        description="link speed; default the fastest both top tiers' free ports offer "
        "(a faster port runs at a lower speed)",
    )


class _DataFabric(_Frozen):
    """What every data fabric intent says: its name, the server NICs it connects, the
    leaf-spine speed and the oversubscription. Subclasses pin ``kind`` to a literal (it
    keeps its place first in the field order)."""

    kind: str
    name: str = Field("fabric", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    nics: str | None = Field(
        None,
        description="NIC group of the servers this fabric connects (see the server models' "
        "`nics`); default the first group of the first server model.",
    )
    server_ports: int | None = Field(
        None, ge=1, description="NIC ports of each server used by this fabric; default all."
    )
    server_models: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="Server models this fabric connects (say the new generation's, when "
        "two generations share a NIC group name); default every server with the NIC group.",
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
    media: MediaRule | None = Field(
        None,
        description="Media kinds this fabric's links may use, e.g. {exclude: [aoc]}; "
        "default any (the cheapest that reaches).",
    )
    join: tuple[JoinIntent, ...] = Field(
        (),
        description="Links from this fabric's top tier to other data fabrics' top tiers "
        "(tier `fabric-join`); default none: each fabric stands alone.",
    )


class SpineLeafIntent(_DataFabric):
    """A 2-tier leaf-spine (folded Clos) fabric."""

    kind: Literal["spine-leaf"] = "spine-leaf"
    leaf: LeafIntent
    spine: SpineIntent


class ClosIntent(_DataFabric):
    """A folded Clos of 2 or 3 tiers sized from the switch radix.

    Two tiers while the spines can reach every leaf; beyond that, pods of leaves and
    spines under a core layer. ``tiers`` pins the number of tiers; ``planes`` builds
    independent copies, server NIC port ``i`` (from 0) going to plane ``i mod planes``.
    """

    kind: Literal["clos"] = "clos"
    leaf: LeafIntent
    spine: SpineIntent
    core: CoreIntent = CoreIntent()
    tiers: Literal[2, 3] | None = Field(None, description="Pin the tiers; default the fewest.")
    planes: int = Field(1, ge=1, le=16, description="Independent copies of the fabric.")
    pod_units: int | None = Field(
        None,
        ge=1,
        description="Units per pod in three tiers (scalable units, or racks' leaves for "
        "clos); default as many as a spine's down ports take.",
    )
    core_wiring: Literal["groups", "mesh"] = Field(
        "groups",
        description="Three tiers: 'groups' joins spine j of every pod to core group j; "
        "'mesh' joins every spine to every core.",
    )


class RailLeafIntent(_Frozen):
    model: str = Field(description="Rail leaf switch model id from the catalog.")
    racks: tuple[str, ...] | None = Field(
        None,
        description="Racks the rail leaves may use; default the network racks nearest each "
        "scalable unit.",
    )


class RailApplianceIntent(_Frozen):
    """A device with fewer fabric ports than the fabric has rails (a UFM fabric-manager
    appliance), cabled on some rails in the slot of one node of a scalable unit."""

    model: str = Field(description="Server model id of the device (e.g. ufm-1u-4x400g).")
    rails: tuple[int, ...] = Field(
        min_length=1,
        description="Rails its ports go to, from 0, port i to rail rails[i]; e.g. [0, 1, 2, 3].",
    )
    unit: int = Field(1, ge=1, description="Scalable unit whose node slot it takes, from 1.")


class RailIntent(_DataFabric):
    """A rail-optimized GPU fabric: NIC ``i`` of every node of a scalable unit goes to the
    unit's rail-``i`` leaf; leaves meet under spines (and cores when needed)."""

    kind: Literal["rail-optimized"] = "rail-optimized"
    rails: int | None = Field(
        None, ge=1, le=144, description="Rails (NICs per node); default the NIC group's count."
    )
    su_nodes: int = Field(ge=1, le=4096, description="Nodes per scalable unit.")
    leaf: RailLeafIntent
    spine: SpineIntent
    core: CoreIntent = CoreIntent()
    tiers: Literal[2, 3] | None = Field(None, description="Pin the tiers; default the fewest.")
    planes: int = Field(1, ge=1, le=16, description="Independent copies of the fabric.")
    pod_units: int | None = Field(
        None,
        ge=1,
        description="Units per pod in three tiers (scalable units, or racks' leaves for "
        "clos); default as many as a spine's down ports take.",
    )
    core_wiring: Literal["groups", "mesh"] = Field(
        "groups",
        description="Three tiers: 'groups' joins spine j of every pod to core group j; "
        "'mesh' joins every spine to every core.",
    )
    appliances: tuple[RailApplianceIntent, ...] = Field(
        (),
        description="Devices cabled on some of the rails, each in the slot of one node of "
        "a scalable unit (that unit holds one node fewer).",
    )


class MgmtSwitchIntent(_Frozen):
    model: str = Field(description="Management switch model id from the catalog.")
    per: Literal["rack", "row"] = Field(
        "rack", description="One management switch per rack (top of rack) or per row."
    )


class MgmtUplinkIntent(_Frozen):
    model: str = Field(description="Management aggregation switch model id.")
    count: int = Field(1, ge=1, le=16, description="Aggregation switches.")
    racks: tuple[str, ...] | None = Field(
        None, description="Racks they may use; default every rack with role 'network'."
    )


class ManagementIntent(_Frozen):
    """An out-of-band management network: the management port (port 0) of every device
    to a 1G copper management switch in its rack or row."""

    kind: Literal["management"] = "management"
    name: str = Field("mgmt", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    switch: MgmtSwitchIntent
    devices: Literal["all", "servers"] = Field(
        "all", description="Manage every placed device, or the servers only."
    )
    aggregation: MgmtUplinkIntent | None = Field(
        None, description="Switches the management switches' uplinks go to; default none."
    )


FabricIntent = Annotated[
    SpineLeafIntent | ClosIntent | RailIntent | ManagementIntent, Field(discriminator="kind")
]
DataFabricIntent = SpineLeafIntent | ClosIntent | RailIntent


Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class SourcingOptions(_Frozen):
    """Where the network's bill of materials may come from (catalog ``origin``).

    Example:
        >>> SourcingOptions(domestic="US", min_domestic_share=0.5, exclude_origins=("XX",))
        SourcingOptions(domestic='US', min_domestic_share=0.5, exclude_origins=('XX',))
    """

    domestic: Country | None = Field(
        None, description="Country counted as domestic (ISO 3166 alpha-2), e.g. 'US'."
    )
    min_domestic_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Least share of the bill of materials' cost of domestic origin; a plan "
        "below it says by how much in its diagnostics.",
    )
    exclude_origins: tuple[Country, ...] = Field(
        (),
        description="Origins never bought: media from them are not chosen; a switch or "
        "server model from them is an error.",
    )

    @model_validator(mode="after")
    def _domestic_named(self) -> SourcingOptions:
        if self.min_domestic_share is not None and self.domestic is None:
            raise ValueError("min_domestic_share needs `domestic`, the country it counts")
        if self.domestic is not None and self.domestic in self.exclude_origins:
            raise ValueError(f"domestic origin {self.domestic!r} is also excluded")
        return self


class Options(_Frozen):
    """How topo plans: what it minimises, how hard it tries, and reproducibility.

    The optimizer stops on work limits (``effort``), not on the clock, so the same
    scenario and seed give the same bytes; ``time_limit_s`` is only a safety net, and
    the plan says when it fired.
    """

    seed: int = Field(0, ge=0, description="Seed for every randomised choice.")
    objective: Literal["cost", "length"] = Field(
        "cost", description="Minimise cable cost (media, optics, stock) or total length."
    )
    routing: Literal["optimize", "shortest"] = Field(
        "optimize",
        description="'optimize': fit the trays' fill limits with a proven bound; "
        "'shortest': every cable on its shortest tray route, whatever the fill.",
    )
    placement: Literal["optimize", "naive"] = Field(
        "optimize",
        description="'optimize': choose the racks of spines and other free switches to "
        "minimise cabling; 'naive': fill the network racks in id order.",
    )
    effort: Literal["low", "normal", "high", "exact"] = Field(
        "normal",
        description="Work limit of the optimizer: rounds and tolerance; 'exact': the "
        "proven optimum by CP-SAT, for small halls (an error names the size when the "
        "hall is too big for it).",
    )
    time_limit_s: float = Field(
        300.0, gt=0, le=86400, description="Wall-clock safety net for the optimizer, seconds."
    )
    threads: int = Field(1, ge=1, le=64, description="Worker threads for CP-SAT.")
    thin_media: bool = Field(
        True,
        description="Where the trays are full, move cables to thinner media than their "
        "length calls for (an AOC or fibre instead of a DAC or ACC), cheapest per mm² "
        "freed first, so the plan fits; the bounds allow for it. Not at effort 'exact', "
        "whose optimum is over media chosen by length.",
    )
    slack_m: float | None = Field(
        None, ge=0, le=20, description="Slack at each cable end; default the media's."
    )
    dress_m: float = Field(
        0.3, ge=0, le=5, description="Extra length to dress a cable inside its rack, metres."
    )
    sourcing: SourcingOptions | None = Field(
        None, description="Domestic-share reporting and origin rules for the BOM."
    )
    label_room: bool = Field(
        False,
        description="Start every cable label with the room (the floor's name): "
        "DH1.B07-42:17/DH1.A01-40:03, so two halls' labels never collide.",
    )
    rewire: Literal["minimal", "none", "free"] = Field(
        "minimal",
        description="With `existing`: 'minimal' keeps every installed device and every "
        "installed cable the plan still needs; 'none' also never moves an installed cable "
        "(a link that needs its port is reported, not built); 'free' plans from scratch "
        "and reports the difference.",
    )


class ExistingPlan(_Frozen):
    """An installed plan stored by the topo HTTP API, named by its id
    (``existing: {plan: 3f2a...}``); only the API reads it, from its own store."""

    plan: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The id of a done plan stored by the API (`POST /v1/plans`).",
    )


class Scenario(_Frozen):
    """A whole scenario. Give one network as ``fabric:`` or several as ``fabrics: [...]``
    (compute, storage, front-end, management, ...) over the same servers and floor."""

    name: str = Field("scenario", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    floor: Annotated[
        Annotated[Floor, Tag("Floor")] | Annotated[str, Tag("str")],
        Discriminator(lambda v: "str" if isinstance(v, str) else "Floor"),
    ] = Field(description="Inline floor, the name of a shipped layout, or a path to a floor file.")
    servers: Annotated[
        Annotated[ServerIntent, Tag("ServerIntent")]
        | Annotated[tuple[ServerIntent, ...], Tag("tuple")],
        Discriminator(lambda v: "tuple" if isinstance(v, list | tuple) else "ServerIntent"),
    ] = Field(description="One server group, or a list of groups each naming its racks.")
    fabric: FabricIntent | None = Field(None, description="The scenario's one network.")
    fabrics: tuple[FabricIntent, ...] = Field(
        (), description="Several networks over the same servers; instead of `fabric`."
    )
    catalog: CatalogOverrides | None = None
    options: Options = Options()
    existing: (
        Annotated[
            Annotated[Annotated[str, Field(min_length=1)], Tag("str")]
            | Annotated[ExistingPlan, Tag("ExistingPlan")],
            Discriminator(lambda v: "str" if isinstance(v, str) else "ExistingPlan"),
        ]
        | None
    ) = Field(
        None,
        description="What is installed: a plan folder written by `topo plan` (`topo plan` "
        "only; a relative path is read from the scenario file's folder) or, posted to the "
        "HTTP API, a plan it stores: `{plan: <id>}`. The plan builds on it (see "
        "`options.rewire`).",
    )
    _existing_dir: Path | None = PrivateAttr(None)
    _existing_files: Mapping[str, bytes] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _one_way_to_give_fabrics(self) -> Scenario:
        if self.fabric is not None and self.fabrics:
            raise ValueError("give either `fabric` or `fabrics`, not both")
        if self.fabric is None and not self.fabrics:
            raise ValueError("missing `fabric` (one network) or `fabrics` (several)")
        names = [f.name for f in self.networks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"fabric names must differ; {dupes} used more than once")
        if not any(not isinstance(f, ManagementIntent) for f in self.networks):
            raise ValueError("a scenario needs at least one data fabric besides management")
        groups = self.server_groups
        if not groups:
            raise ValueError("`servers` lists no server group")
        if sum(1 for g in groups if g.racks is None) > 1:
            raise ValueError("at most one server group may leave `racks` out")
        return self

    @property
    def networks(self) -> tuple[FabricIntent, ...]:
        """Every network of the scenario, in the order given."""
        return (self.fabric,) if self.fabric is not None else self.fabrics

    @property
    def server_groups(self) -> tuple[ServerIntent, ...]:
        return self.servers if isinstance(self.servers, tuple) else (self.servers,)


def parse_scenario(data: Any) -> Scenario:
    """Validate already-parsed data (a mapping) as a scenario."""
    if not isinstance(data, dict):
        raise ScenarioError(Problem("", f"a scenario must be a mapping, got {type(data).__name__}"))
    problems = check_document(data)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc)) from None
    except RecursionError:
        raise ScenarioError(Problem("", "the scenario is nested too deeply")) from None
    check_scenario_size(scenario)
    return scenario


def check_scenario_size(scenario: Scenario) -> None:
    """Refuse a scenario beyond the size limits (:mod:`layouts.limits`) before any work.

    Raises:
        ScenarioError: one problem per limit exceeded, naming the value and the limit.
    """
    problems: list[Problem] = []
    if isinstance(scenario.floor, Floor):
        racks = sum(row.count for row in scenario.floor.rows)
        if racks > LIMITS.max_racks:
            problems.append(Problem("floor.rows", too_many("racks", racks, "max_racks"), racks))
    if scenario.catalog is not None:
        for i, sw in enumerate(scenario.catalog.switches):
            ports = sum(g.count * max([1, *g.breakout.values()]) for g in sw.ports)
            if ports > LIMITS.max_ports_per_switch:
                problems.append(
                    Problem(
                        f"catalog.switches.{i}.ports",
                        f"switch {sw.id!r}: "
                        + too_many("ports, breakout lanes included", ports, "max_ports_per_switch"),
                        ports,
                    )
                )
    if problems:
        raise ScenarioError(problems)


def read_data(text: str, source: str) -> Any:
    """Parse YAML (a superset of JSON) text, turning syntax errors, keys given twice in one
    mapping and documents nested too deeply into problems."""
    from layouts.library import parse_yaml

    return parse_yaml(text, source)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON) and resolve its floor.

    A floor given as a path is read relative to the scenario file; a floor given as a name
    is looked up among the shipped layouts.

    Raises:
        ScenarioError: the file is missing, malformed or does not match the format.
        LayoutError: the floor it names cannot be found or read.
    """
    p = Path(path)
    text = read_limited_text(p, what="scenario file")
    data = read_data(text, str(p))
    scenario = parse_scenario(data)
    resolved = resolve_floor(scenario, base_dir=p.parent, allow_paths=True)
    return resolve_existing(resolved, base_dir=p.parent, allow_paths=True)


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json"))


def resolve_floor(
    scenario: Scenario, *, base_dir: str | Path | None = None, allow_paths: bool = False
) -> Scenario:
    """The scenario with its floor inline.

    Args:
        base_dir: where relative floor paths are read from.
        allow_paths: whether a floor given as a file path may be opened (the CLI allows
            it; the HTTP API never does).

    Raises:
        LayoutError: unknown layout name, or a path where paths are not allowed.
        ScenarioError: the floor file is missing or malformed.
    """
    from layouts.library import load_layout, read_floor

    ref = scenario.floor
    if isinstance(ref, Floor):
        return scenario
    if _looks_like_path(ref):
        if not allow_paths:
            raise LayoutError(
                Problem(
                    "floor",
                    f"floor {ref!r} is a file path; name a shipped layout or give the floor inline",
                    ref,
                )
            )
        path = Path(ref)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        floor = read_floor(path)
    else:
        floor = load_layout(ref)
    resolved = scenario.model_copy(update={"floor": floor})
    check_scenario_size(resolved)
    return resolved


def resolve_existing(
    scenario: Scenario, *, base_dir: str | Path | None = None, allow_paths: bool = False
) -> Scenario:
    """The scenario with the folder of its installed plan (``existing``) found.

    The scenario keeps ``existing`` as written (so the ``scenario.yaml`` of its plan is
    the same wherever it is planned); :func:`existing_folder` gives the folder found. A
    plan stored by the API (``existing: {plan: <id>}``) is left to the API, which gives
    its files with :func:`attach_installed`.

    Args:
        base_dir: where a relative ``existing`` path is read from.
        allow_paths: whether a plan folder may be opened (the CLI allows it; the HTTP API
            never does).

    Raises:
        ScenarioError: a path where paths are not allowed, a stored plan where only
            paths are (the CLI), or no such folder.
    """
    ref = scenario.existing
    if ref is None:
        return scenario
    if isinstance(ref, ExistingPlan):
        if not allow_paths:
            return scenario
        raise ScenarioError(
            Problem(
                "existing.plan",
                f"existing plan {ref.plan!r} names a plan stored by the topo HTTP API; "
                "`topo plan` reads a plan folder: existing: <folder>",
                ref.plan,
            )
        )
    if not allow_paths:
        raise ScenarioError(
            Problem(
                "existing",
                f"existing {ref!r} is a file path; the API never reads folders: name a plan "
                "it stores, existing: {plan: <id>}",
                ref,
            )
        )
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_dir():
        raise ScenarioError(
            Problem("existing", f"existing plan folder {str(path)!r} is not a folder", ref)
        )
    resolved = scenario.model_copy()
    resolved._existing_dir = path
    return resolved


def attach_installed(scenario: Scenario, files: Mapping[str, bytes]) -> Scenario:
    """The scenario with the files of the stored plan its ``existing: {plan: <id>}``
    names (``scenario.yaml``, ``plan.json``, ``cables.csv``, and ``changes.csv`` if it
    has one), for :func:`existing_files`; the API reads them from its store."""
    resolved = scenario.model_copy()
    resolved._existing_files = dict(files)
    return resolved


def existing_folder(scenario: Scenario) -> Path | None:
    """The folder of the scenario's installed plan, once :func:`resolve_existing` found
    it; None when the scenario names none or it was not resolved."""
    return scenario._existing_dir


def existing_files(scenario: Scenario) -> Mapping[str, bytes] | None:
    """The files of the scenario's stored installed plan, once :func:`attach_installed`
    gave them; None otherwise."""
    return scenario._existing_files


def floor_of(scenario: Scenario) -> Floor:
    """The scenario's floor, resolving a shipped layout name (never a path)."""
    resolved = resolve_floor(scenario, allow_paths=False)
    assert isinstance(resolved.floor, Floor)
    return resolved.floor
