"""The catalog: switch models and cable media with their reach, size, cost and power.

The built-in catalog ships as data (``topo/data/catalog.yaml``) with figures from public
sources (see the project's reference figures). A scenario may add entries or replace
built-in ones by id through ``catalog:`` overrides; :func:`merge_catalog` applies them.

Media are priced per *link*: a cable of some stock length plus, for optical media, one
transceiver at each end. :meth:`Media.link_cost_cents` and :meth:`Media.link_power_w`
give the figures the planner compares when it picks the media of a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, cached_property
from importlib import resources
from typing import Annotated, Any, Literal, Self, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from layouts.errors import Problem
from topo.errors import CatalogError

__all__ = [
    "ETHERNET_NAMES",
    "INFINIBAND_NAMES",
    "SERVER_NAMES",
    "Catalog",
    "CatalogOverrides",
    "InterfaceNames",
    "Media",
    "MediaKind",
    "MediaRule",
    "NicGroup",
    "PortGroup",
    "Server",
    "SourcingFields",
    "SwitchModel",
    "Transceiver",
    "builtin_catalog",
    "merge_catalog",
]

MediaKind = Literal["dac", "acc", "aoc", "mmf", "smf", "copper"]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; lookups cached on the original are recomputed
        (a copy with other media must not answer from the original's media index)."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            for name in dir(type(self)):
                if isinstance(getattr(type(self), name, None), cached_property):
                    copy.__dict__.pop(name, None)
        return copy


class _Sourced(_Frozen):
    """Who makes an item and where: the columns procurement reads in ``bom.csv``.

    All optional; ``origin`` is the ISO 3166 alpha-2 country the item ships from
    (``US``, ``MX``, ``TW``), which the scenario's ``options.sourcing`` rules read.
    """

    manufacturer: str | None = Field(None, min_length=1, description="Manufacturer name.")
    part_number: str | None = Field(None, min_length=1, description="Manufacturer part number.")
    origin: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="Country of origin, ISO 3166 alpha-2."
    )
    lead_time_days: int | None = Field(None, ge=0, description="Quoted lead time, days.")


class SourcingFields(_Sourced):
    """The sourcing fields alone, set on a catalog entry by ``catalog.sourcing``."""


class MediaRule(_Frozen):
    """Which media kinds a link may use: ``allow`` (only these) and/or ``exclude`` (never
    these), e.g. ``{exclude: [aoc]}`` for "no AOC on this fabric".

    Example:
        >>> rule = MediaRule(allow=("dac", "acc", "smf"), exclude=("acc",))
        >>> [k for k in ("dac", "acc", "aoc", "smf") if rule.permits(k)]
        ['dac', 'smf']
    """

    allow: tuple[MediaKind, ...] | None = Field(
        None, description="Media kinds allowed; default every kind."
    )
    exclude: tuple[MediaKind, ...] = Field((), description="Media kinds never used.")

    def permits(self, kind: str) -> bool:
        """Whether a media of ``kind`` may carry the link."""
        return (self.allow is None or kind in self.allow) and kind not in self.exclude

    def describe(self) -> str:
        """The rule in words, for messages: ``'no aoc'``, ``'only dac, smf'``."""
        parts = []
        if self.allow is not None:
            parts.append("only " + ", ".join(self.allow))
        if self.exclude:
            parts.append("no " + ", ".join(self.exclude))
        return "; ".join(parts) or "any kind"


class PortGroup(_Frozen):
    """A run of identical front-panel ports of a switch.

    ``breakout`` lists the lower speeds one cage can be split into as ``lanes x speed``
    (an 800G twin-port OSFP serves 2 x 400G). ``role`` pins a group to downlinks or
    uplinks (a ToR's 48 x 25G are for servers, its 8 x 100G for spines); ``any`` lets
    the planner split the group by the oversubscription ratio.
    """

    count: int = Field(ge=1)
    speed_gbps: int = Field(gt=0)
    cage: str = "QSFP"
    role: Literal["down", "up", "any"] = "any"
    breakout: dict[int, int] = Field(
        default_factory=dict, description="Breakout speed in Gb/s -> lanes per cage."
    )


class InterfaceNames(_Frozen):
    """How a model names its ports, as templates: ``{port}`` is the port number (from 1),
    ``{lane}`` the breakout lane (from 1), ``{lane0}`` the lane from 0.

    Example:
        >>> names = InterfaceNames(port="swp{port}", lane="swp{port}s{lane0}", mgmt="eth0")
        >>> names.name("17"), names.name("03.2"), names.name("mgmt")
        ('swp17', 'swp3s1', 'eth0')
    """

    port: str = Field("Ethernet{port}", min_length=1, max_length=64)
    lane: str = Field("Ethernet{port}/{lane}", min_length=1, max_length=64)
    mgmt: str = Field("Management1", min_length=1, max_length=64)

    @field_validator("port", "lane", "mgmt")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        for name in re.findall(r"{([^}]*)}", value):
            if name not in ("port", "lane", "lane0"):
                raise ValueError(f"unknown field {{{name}}}: use {{port}}, {{lane}}, {{lane0}}")
        return value

    def name(self, port: str) -> str:
        """The interface name of a port as topo writes it: ``17``, ``17.2`` or ``mgmt``."""
        if port == "mgmt":
            return self.mgmt
        head, _, lane = port.partition(".")
        n, k = int(head), int(lane or 0)
        template = self.lane if k else self.port
        return template.format(port=n, lane=k, lane0=k - 1)


ETHERNET_NAMES = InterfaceNames()
"""EOS-style names: ``Ethernet17``, ``Ethernet17/2``, ``Management1``."""
INFINIBAND_NAMES = InterfaceNames(port="IB1/{port}", lane="IB1/{port}/{lane}", mgmt="mgmt0")
"""NVIDIA Quantum (MLNX-OS) style names: ``IB1/17``, ``IB1/17/2``, ``mgmt0``."""
SERVER_NAMES = InterfaceNames(port="nic{port}", lane="nic{port}s{lane0}", mgmt="bmc")
"""Server NIC ports by number: ``nic3``; the BMC ``bmc``."""


class SwitchModel(_Sourced):
    id: str
    name: str
    height_u: int = Field(ge=1, le=20)
    power_w: Money
    cost_usd: Money
    ports: tuple[PortGroup, ...] = Field(min_length=1)
    media: MediaRule | None = Field(
        None, description="Media kinds the switch's data links may use; default any."
    )
    cooling: Literal["air", "liquid"] = Field(
        "air", description="'liquid': needs a liquid-cooled row; 'air' goes in any row."
    )
    interface_names: InterfaceNames | None = Field(
        None,
        description="How the switch names its ports; default EOS-style Ethernet17/2, "
        "or IB1/17/2 for InfiniBand switches.",
    )

    @property
    def infiniband(self) -> bool:
        """An InfiniBand switch: its id starts ``ib-`` or its name says InfiniBand."""
        return self.id.startswith("ib-") or "infiniband" in self.name.lower()

    def interface_name(self, port: str) -> str:
        """The name the switch gives a port written ``17``, ``17.2`` or ``mgmt``."""
        names = self.interface_names or (INFINIBAND_NAMES if self.infiniband else ETHERNET_NAMES)
        return names.name(port)

    def ports_at(self, speed_gbps: int, role: str | None = None) -> int:
        """How many logical ports the switch offers at ``speed_gbps`` (breakout included),
        counting only groups of the given role (and ``any``) when ``role`` is set."""
        total = 0
        for g in self.ports:
            if role is not None and g.role not in (role, "any"):
                continue
            if g.speed_gbps == speed_gbps:
                total += g.count
            elif speed_gbps in g.breakout:
                total += g.count * g.breakout[speed_gbps]
        return total


class NicGroup(_Frozen):
    """A run of identical NIC ports of a server that serve one network.

    A fabric intent names the group it connects (``nics: storage``); groups are numbered
    in the order the server model lists them, ports from 1 (the first group of 8 ports
    takes ports 1-8, the next group starts at 9).
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    count: int = Field(ge=1, le=144)
    speed_gbps: int = Field(gt=0)


class Server(_Sourced):
    """A server (compute or storage node) model: its height, power and NIC ports.

    Give the NIC ports either as ``nic_ports`` x ``nic_speed_gbps`` (one group named
    ``data``) or as ``nics``, a list of named groups (the first group is the default one
    a fabric connects; ``nic_ports`` and ``nic_speed_gbps`` then describe it). Every server
    also has one out-of-band management (BMC) port, port 0, at ``mgmt_speed_gbps``.

    Example:
        >>> s = Server(id="n", name="node", height_u=8, power_w=10200, nics=(
        ...     NicGroup(name="compute", count=8, speed_gbps=400),
        ...     NicGroup(name="storage", count=2, speed_gbps=400)))
        >>> s.nic_ports, s.nic_group("storage")
        (8, (9, 2, 400))
    """

    id: str
    name: str
    height_u: int = Field(
        ge=1, le=52, description="Height in U; a rack-scale system (NVL72) fills its rack."
    )
    power_w: Money
    cost_usd: Money = 0.0
    nic_ports: int = Field(ge=1, description="Ports of the first NIC group.")
    nic_speed_gbps: int = Field(gt=0, description="Speed of the first NIC group.")
    nics: tuple[NicGroup, ...] = Field(
        (), description="Named NIC groups; default one group 'data' of nic_ports."
    )
    mgmt_speed_gbps: int = Field(1, gt=0, description="Speed of the BMC port (port 0).")
    media: MediaRule | None = Field(
        None, description="Media kinds the server's data links may use; default any."
    )
    cooling: Literal["air", "liquid"] = Field(
        "air",
        description="'liquid': a liquid-cooled system (NVL72 rack) that needs a "
        "liquid-cooled row; 'air' goes in any row.",
    )
    interface_names: InterfaceNames | None = Field(
        None, description="How the server names its NIC ports; default nic3, nic3s1, bmc."
    )

    def interface_name(self, port: str) -> str:
        """The name the server gives a port written ``3``, ``3.2`` or ``mgmt``."""
        return (self.interface_names or SERVER_NAMES).name(port)

    @model_validator(mode="before")
    @classmethod
    def _fill_nics(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        nics = data.get("nics")
        if nics:
            first = nics[0]
            get = first.get if isinstance(first, dict) else lambda k: getattr(first, k, None)
            data = dict(data)
            data.setdefault("nic_ports", get("count"))
            data.setdefault("nic_speed_gbps", get("speed_gbps"))
        elif "nic_ports" in data and "nic_speed_gbps" in data:
            data = dict(data)
            data["nics"] = ({"name": "data", "count": data["nic_ports"],
                             "speed_gbps": data["nic_speed_gbps"]},)  # fmt: skip
        return data

    @model_validator(mode="after")
    def _check_nics(self) -> Server:
        names = [g.name for g in self.nics]
        if len(set(names)) != len(names):
            raise ValueError(f"server {self.id!r} names a NIC group twice: {names}")
        first = self.nics[0]
        if (first.count, first.speed_gbps) != (self.nic_ports, self.nic_speed_gbps):
            raise ValueError(
                f"server {self.id!r}: nic_ports/nic_speed_gbps ({self.nic_ports} x "
                f"{self.nic_speed_gbps}G) disagree with its first NIC group {first.name!r} "
                f"({first.count} x {first.speed_gbps}G)"
            )
        return self

    def nic_group(self, name: str | None = None) -> tuple[int, int, int] | None:
        """``(first port, count, speed)`` of the NIC group ``name`` (default the first
        group), or None when the server has no such group."""
        first = 1
        for g in self.nics:
            if name is None or g.name == name:
                return first, g.count, g.speed_gbps
            first += g.count
        return None


class Transceiver(_Sourced):
    """Optics plugged at each end of an optical link; sourcing fields left unset are
    the media's."""

    sku: str
    cost_usd: Money
    power_w: Money


class Media(_Sourced):
    """A way to carry one link: a cable type (and transceivers for optical media).

    Attributes:
        reach_m: longest supported cable, metres.
        od_mm: outside diameter for tray fill.
        stock_lengths_m: lengths sold, ascending; a cable is rounded up to one of them.
        cable_cost_usd / cable_cost_per_m_usd: price of the cable as base + per metre.
        end_power_w: power drawn at each end by the cable itself (DAC, active copper, AOC).
        transceiver: optics plugged at each end, for ``mmf`` and ``smf`` media.
        slack_m: service loop left at each end.
    """

    id: str
    kind: MediaKind
    speed_gbps: int = Field(gt=0)
    reach_m: float = Field(gt=0, allow_inf_nan=False)
    od_mm: float = Field(gt=0, allow_inf_nan=False)
    stock_lengths_m: tuple[Annotated[float, Field(gt=0, allow_inf_nan=False)], ...] = Field(
        min_length=1
    )
    cable_sku: str
    cable_cost_usd: Money = 0.0
    cable_cost_per_m_usd: Money = 0.0
    end_power_w: Money = 0.0
    transceiver: Transceiver | None = None
    slack_m: float = Field(0.5, ge=0)

    @cached_property
    def stock_lengths_mm(self) -> tuple[int, ...]:
        return tuple(sorted(round(s * 1000) for s in self.stock_lengths_m))

    @property
    def max_length_mm(self) -> int:
        """Longest cable this media can be: its longest stock length within reach."""
        reach = round(self.reach_m * 1000)
        fitting = [s for s in self.stock_lengths_mm if s <= reach]
        return fitting[-1] if fitting else 0

    def stock_length_mm(self, needed_mm: int) -> int | None:
        """The shortest stock length at least ``needed_mm`` within reach, or None."""
        reach = round(self.reach_m * 1000)
        for s in self.stock_lengths_mm:
            if s >= needed_mm:
                return s if s <= reach else None
        return None

    def link_cost_cents(self, stock_mm: int) -> int:
        """Price of one link of this media at a stock length, in cents."""
        cable = self.cable_cost_usd + self.cable_cost_per_m_usd * stock_mm / 1000
        optics = 2 * self.transceiver.cost_usd if self.transceiver else 0.0
        return round((cable + optics) * 100)

    @property
    def link_power_w(self) -> float:
        """Power of one link (both ends), watts."""
        per_end = self.end_power_w + (self.transceiver.power_w if self.transceiver else 0.0)
        return 2 * per_end

    @property
    def area_mm2(self) -> float:
        return 3.141592653589793 * self.od_mm**2 / 4


class Catalog(_Frozen):
    switches: tuple[SwitchModel, ...] = ()
    servers: tuple[Server, ...] = ()
    media: tuple[Media, ...] = ()

    def interface_name(self, model: str, port: str) -> str:
        """The interface name of a port (``17``, ``17.2``, ``mgmt``) on a device of
        ``model``; a model the catalog does not know is named like a server."""
        found = self.switch_index.get(model) or self.server_index.get(model)
        return found.interface_name(port) if found is not None else SERVER_NAMES.name(port)

    @cached_property
    def switch_index(self) -> dict[str, SwitchModel]:
        return {s.id: s for s in self.switches}

    @cached_property
    def server_index(self) -> dict[str, Server]:
        return {s.id: s for s in self.servers}

    @cached_property
    def media_index(self) -> dict[str, Media]:
        return {m.id: m for m in self.media}

    def media_for(self, speed_gbps: int) -> tuple[Media, ...]:
        """Media that carry ``speed_gbps``, in catalog order."""
        return tuple(m for m in self.media if m.speed_gbps == speed_gbps)

    def switch(self, model: str, location: str = "") -> SwitchModel:
        try:
            return self.switch_index[model]
        except KeyError:
            known = ", ".join(sorted(self.switch_index))
            raise CatalogError(
                Problem(location, f"unknown switch model {model!r}; known: {known}", model)
            ) from None

    def server(self, model: str, location: str = "") -> Server:
        """The server model ``model``; a :class:`CatalogError` at ``location`` if unknown."""
        try:
            return self.server_index[model]
        except KeyError:
            known = ", ".join(sorted(self.server_index))
            raise CatalogError(
                Problem(location, f"unknown server model {model!r}; known: {known}", model)
            ) from None


class CatalogOverrides(_Frozen):
    """Entries a scenario adds to the built-in catalog or replaces in it, by id."""

    switches: tuple[SwitchModel, ...] = ()
    servers: tuple[Server, ...] = ()
    media: tuple[Media, ...] = ()
    replace: bool = Field(
        False, description="Use only these entries, ignoring the built-in catalog."
    )
    sourcing: dict[str, SourcingFields] = Field(
        default_factory=dict,
        description="Sourcing fields (manufacturer, part_number, origin, lead_time_days) "
        "to set on catalog entries by id: a switch, server or media id, or a transceiver "
        "SKU; the entries keep everything else.",
    )

    @model_validator(mode="after")
    def _ids_differ(self) -> CatalogOverrides:
        for kind, entries in (
            ("switches", self.switches), ("servers", self.servers), ("media", self.media)
        ):  # fmt: skip
            ids = [e.id for e in entries]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"catalog {kind} give the id(s) {twice} more than once")
        return self


_T = TypeVar("_T", SwitchModel, Server, Media)


def _merge(base: tuple[_T, ...], extra: tuple[_T, ...]) -> tuple[_T, ...]:
    by_id = {x.id: x for x in base}
    order = [x.id for x in base]
    for x in extra:
        if x.id not in by_id:
            order.append(x.id)
        by_id[x.id] = x
    return tuple(by_id[i] for i in order)


def merge_catalog(base: Catalog, overrides: CatalogOverrides | None) -> Catalog:
    """The built-in catalog with a scenario's overrides applied (entries replace by id)."""
    if overrides is None:
        return base
    if overrides.replace:
        merged = Catalog(
            switches=overrides.switches, servers=overrides.servers, media=overrides.media
        )
    else:
        merged = Catalog(
            switches=_merge(base.switches, overrides.switches),
            servers=_merge(base.servers, overrides.servers),
            media=_merge(base.media, overrides.media),
        )
    return _with_sourcing(merged, overrides.sourcing) if overrides.sourcing else merged


def _with_sourcing(catalog: Catalog, sourcing: Mapping[str, SourcingFields]) -> Catalog:
    """``catalog`` with the sourcing fields of ``sourcing`` set on its entries by id (a
    transceiver by SKU, in every media that plugs it).

    Raises:
        CatalogError: an id no entry has, naming it.
    """
    skus = {m.transceiver.sku for m in catalog.media if m.transceiver is not None}
    problems = [
        Problem(
            f"catalog.sourcing.{key}",
            f"no switch, server, media or transceiver {key!r} in the catalog",
            key,
        )
        for key in sorted(sourcing)
        if key not in catalog.switch_index
        and key not in catalog.server_index
        and key not in catalog.media_index
        and key not in skus
    ]
    if problems:
        raise CatalogError(problems)

    def patch(entry: _T, key: str) -> _T:
        fields = sourcing.get(key)
        if fields is None:
            return entry
        return entry.model_copy(update=fields.model_dump(exclude_none=True))

    def patch_media(m: Media) -> Media:
        m = patch(m, m.id)
        if m.transceiver is not None and m.transceiver.sku in sourcing:
            fields = sourcing[m.transceiver.sku].model_dump(exclude_none=True)
            m = m.model_copy(update={"transceiver": m.transceiver.model_copy(update=fields)})
        return m

    return Catalog(
        switches=tuple(patch(x, x.id) for x in catalog.switches),
        servers=tuple(patch(x, x.id) for x in catalog.servers),
        media=tuple(patch_media(m) for m in catalog.media),
    )


@cache
def builtin_catalog() -> Catalog:
    """The catalog shipped with topo."""
    text = resources.files("topo").joinpath("data/catalog.yaml").read_text(encoding="utf-8")
    try:
        return Catalog.model_validate(yaml.safe_load(text))
    except ValidationError as exc:  # a broken shipped file is a bug, but say where
        raise CatalogError(f"built-in catalog is invalid: {exc}") from exc
