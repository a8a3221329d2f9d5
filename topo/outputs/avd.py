"""Arista AVD: a plan's Ethernet fabrics as ``eos_designs`` inputs.

:func:`plan_to_avd` writes an Ansible inventory and group variables that AVD's
``eos_designs`` role (or ``pyavd``) turns into switch configurations, for the layer-3
leaf-spine design (``l3ls-evpn``: eBGP underlay, EVPN overlay). Steps:

1. Pick the networks AVD can build: every Ethernet leaf-spine, Clos or rail fabric of
   the plan. InfiniBand fabrics (their switches run no EOS) and out-of-band management
   networks (no AVD node type for them) are skipped and named in ``inventory.yml``'s
   header; a plan with nothing to export raises :class:`~topo.errors.ExportError`.
2. Map roles to AVD node types: ``leaf`` -> ``l3leaf``, ``spine`` -> ``spine``,
   ``core`` -> ``super_spine``; ids count from 1 per node type in device id order.
3. Write each switch's uplinks exactly as planned: ``uplink_interfaces``,
   ``uplink_switches`` and ``uplink_switch_interfaces`` list the switch's ``leaf-spine``
   (or ``spine-core``) links in its own port order, one entry a link (a leaf with two
   links to a spine names the spine twice). Lists shared by every node of a type go to
   the type's ``defaults``. Two leaves joined by ``leaf-peer`` links become an MLAG pair
   (a node group of two, ``mlag_interfaces`` as planned).
4. Number the rest: AS numbers (cores share 65000, the spines of a pod one from 65001,
   each leaf or MLAG pair its own from 65101; 4-byte private numbers where the 2-byte
   range runs out) and IPv4 pools carved in order from 10.0.0.0/8, each just large
   enough for AVD's own allocation. These and the names are topo's choices, to be
   replaced by the site's plan; management IPs are not set (a plan has none).

Files::

    inventory.yml                 all > FABRIC > FABRIC_SPINES / FABRIC_L3_LEAVES hosts
    group_vars/FABRIC.yml         fabric_name, spine / l3leaf / super_spine node types
    group_vars/FABRIC_SPINES.yml  type: spine    (one such file per node type)

Interface names follow EOS: port 17 is ``Ethernet17``, lane 2 of a broken-out port 3 is
``Ethernet3/2``, the management port is ``Management1``.
"""

from __future__ import annotations

import ipaddress
import math
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from topo.catalog import SwitchModel
from topo.errors import ExportError
from topo.model import Device, Endpoint, FabricInfo, Link
from topo.plan import Plan

__all__ = ["AVD_NODE_TYPES", "plan_to_avd"]

AVD_NODE_TYPES = {"leaf": "l3leaf", "spine": "spine", "core": "super_spine"}
"""AVD node type key of each switch role topo builds in a leaf-spine or Clos fabric."""

_TYPE_VALUE = {"l3leaf": "l3leaf", "spine": "spine", "super_spine": "super-spine"}
_GROUP_SUFFIX = {"super_spine": "SUPER_SPINES", "spine": "SPINES", "l3leaf": "L3_LEAVES"}
_UPLINK_TIERS = {"leaf-spine", "spine-core"}
_EXPORTED_KINDS = {"spine-leaf", "clos", "rail-optimized"}
_SUPER_SPINE_AS = 65000
_SPINE_AS_FIRST, _SPINE_AS_4BYTE = 65001, 4_290_000_001
_LEAF_AS_FIRST, _LEAF_AS_4BYTE = 65101, 4_200_000_001
_AS_2BYTE_LAST = 65534
_POOL_SPACE = ipaddress.IPv4Network("10.0.0.0/8")


@dataclass(frozen=True, slots=True)
class _Network:
    """One fabric AVD can build: its group name, switches and links."""

    info: FabricInfo
    group: str
    switches: tuple[Device, ...]
    links: tuple[Link, ...]


def plan_to_avd(plan: Plan, *, platform: str | None = None) -> dict[str, bytes]:
    """AVD ``eos_designs`` inputs for every Ethernet fabric of ``plan``.

    Args:
        plan: the plan; never re-planned.
        platform: AVD platform name written in every node type's ``defaults`` (e.g.
            ``7060X5``, ``cEOSLab``); default none, so AVD's default platform settings
            apply.

    Returns:
        File name (``inventory.yml``, ``group_vars/*.yml``) -> YAML bytes.

    Raises:
        ExportError: the plan has no Ethernet leaf-spine or Clos fabric (only
            InfiniBand or management networks).

    Example:
        >>> import topo
        >>> plan = topo.plan(topo.load_scenario("examples/enterprise-hall.yaml"))  # doctest: +SKIP
        >>> list(plan_to_avd(plan))                                     # doctest: +SKIP
        ['group_vars/DC.yml', 'group_vars/DC_L3_LEAVES.yml', 'group_vars/DC_SPINES.yml',
         'inventory.yml']
    """
    joins = sum(1 for x in plan.fabric.links if x.tier == "fabric-join")
    if joins:
        raise ExportError(
            f"plan {plan.scenario.name!r} joins two fabrics ({joins} fabric-join links): "
            "AVD's inputs describe one fabric at a time, with no links between fabrics"
        )
    networks, skipped = _networks(plan)
    if not networks:
        reasons = "; ".join(f"{name!r}: {why}" for name, why in skipped) or "no networks"
        raise ExportError(
            f"plan {plan.scenario.name!r} has no Ethernet leaf-spine or Clos fabric for "
            f"AVD ({reasons})"
        )
    hosts = _hostnames(d.id for n in networks for d in n.switches)
    pools = _PoolCarver()
    files: dict[str, bytes] = {}
    inventory: dict[str, Any] = {}
    for net in networks:
        types = _node_types(net, hosts, pools, platform=platform)
        header = "\n".join(
            (
                f"AVD eos_designs inputs for fabric {net.info.name!r} of scenario "
                f"{plan.scenario.name!r}, written by topo.",
                "Uplinks are the plan's cables, interface by interface.",
                "AS numbers and IPv4 pools are placeholders: replace them with the site's. "
                "Management IPs (mgmt_ip) are not set.",
            )
        )
        files[f"group_vars/{net.group}.yml"] = _yaml(
            {
                "fabric_name": net.group,
                "underlay_routing_protocol": "ebgp",
                "overlay_routing_protocol": "ebgp",
                **types,
            },
            header,
        )
        children: dict[str, Any] = {}
        for key in _GROUP_SUFFIX:
            if key not in types:
                continue
            group = f"{net.group}_{_GROUP_SUFFIX[key]}"
            files[f"group_vars/{group}.yml"] = _yaml({"type": _TYPE_VALUE[key]}, None)
            names = sorted(hosts[d.id] for d in net.switches if AVD_NODE_TYPES[d.role] == key)
            children[group] = {"hosts": dict.fromkeys(names)}
        inventory[net.group] = {"children": children}
    notes = [f"Ansible inventory of scenario {plan.scenario.name!r}, written by topo."]
    notes += [f"Not exported: network {name!r}: {why}." for name, why in skipped]
    files["inventory.yml"] = _yaml({"all": {"children": inventory}}, "\n".join(notes))
    return dict(sorted(files.items()))


def _networks(plan: Plan) -> tuple[list[_Network], list[tuple[str, str]]]:
    """The networks to export, and (name, reason) of those skipped, in plan order."""
    infos = plan.fabric.parts or (FabricInfo(plan.fabric.name, "spine-leaf"),)
    switches_of: dict[str, list[Device]] = defaultdict(list)
    for d in plan.placement.devices:
        if d.role not in ("server", "appliance"):
            switches_of[d.fabric].append(d)
    links_of: dict[str, list[Link]] = defaultdict(list)
    for x in plan.fabric.links:
        links_of[x.fabric].append(x)
    models = plan.catalog.switch_index
    out: list[_Network] = []
    skipped: list[tuple[str, str]] = []
    taken: set[str] = set()
    for info in infos:
        switches = sorted(switches_of.get(info.name, ()), key=lambda d: d.id)
        why = _skip_reason(info, switches, models)
        if why:
            skipped.append((info.name, why))
            continue
        group = _unique(_group_name(info.name), taken, sep="_")
        links = tuple(x for x in links_of[info.name] if x.tier in _UPLINK_TIERS | {"leaf-peer"})
        out.append(_Network(info, group, tuple(switches), links))
    return out, skipped


def _skip_reason(
    info: FabricInfo, switches: list[Device], models: Mapping[str, SwitchModel]
) -> str:
    """Why AVD cannot build this network ('' when it can)."""
    if info.kind not in _EXPORTED_KINDS:
        return f"a {info.kind} network, not a leaf-spine fabric AVD builds"
    infiniband = sorted({d.model for d in switches if _is_infiniband(models.get(d.model))})
    if infiniband:
        return f"InfiniBand switches ({', '.join(infiniband)}) run no EOS"
    roles = sorted({d.role for d in switches} - set(AVD_NODE_TYPES))
    if roles:
        return f"switch roles {', '.join(roles)} have no AVD node type"
    if not switches:
        return "no switches"
    return ""


def _is_infiniband(model: SwitchModel | None) -> bool:
    """An InfiniBand switch, by its catalog name or the ``ib-`` id prefix."""
    if model is None:
        return False
    return model.id.startswith("ib-") or "infiniband" in model.name.lower()


def _node_types(
    net: _Network, hosts: Mapping[str, str], pools: _PoolCarver, *, platform: str | None
) -> dict[str, Any]:
    """The ``spine:`` / ``l3leaf:`` / ``super_spine:`` node type settings of a fabric."""
    by_type: dict[str, list[Device]] = defaultdict(list)
    for d in net.switches:
        by_type[AVD_NODE_TYPES[d.role]].append(d)
    uplinks: dict[str, list[Link]] = defaultdict(list)
    peers: dict[str, list[Link]] = defaultdict(list)
    for x in net.links:
        if x.tier == "leaf-peer":
            peers[x.a.device].append(x)
            peers[x.b.device].append(x)
        else:
            uplinks[x.a.device].append(x)
    out: dict[str, Any] = {}
    for key in ("super_spine", "spine", "l3leaf"):
        devices = by_type.get(key)
        if not devices:
            continue
        out[key] = _node_type(key, devices, uplinks, peers, hosts, pools, platform=platform)
    return out


def _node_type(
    key: str,
    devices: list[Device],
    uplinks: Mapping[str, list[Link]],
    peers: Mapping[str, list[Link]],
    hosts: Mapping[str, str],
    pools: _PoolCarver,
    *,
    platform: str | None,
) -> dict[str, Any]:
    """One node type: ``defaults`` (platform, pools, AS, shared uplink lists) and its
    nodes, MLAG pairs as node groups."""
    ids = {d.id: i for i, d in enumerate(devices, start=1)}
    nodes: dict[str, dict[str, Any]] = {}
    for d in devices:
        node: dict[str, Any] = {"name": hosts[d.id], "id": ids[d.id]}
        mine = sorted(uplinks.get(d.id, ()), key=lambda x: (x.a.port, x.a.lane))
        if mine:
            node["uplink_interfaces"] = [_eos_interface(x.a) for x in mine]
            node["uplink_switches"] = [hosts[x.b.device] for x in mine]
            node["uplink_switch_interfaces"] = [_eos_interface(x.b) for x in mine]
        nodes[d.id] = node
    defaults: dict[str, Any] = {}
    if platform:
        defaults["platform"] = platform
    defaults["loopback_ipv4_pool"] = pools.take(len(devices) + 1)
    if key == "l3leaf":
        defaults["vtep_loopback_ipv4_pool"] = pools.take(len(devices) + 1)
    upl = [uplinks.get(d.id, []) for d in devices]
    if any(upl):
        spread = max(len({x.b.device for x in u}) for u in upl)
        parallel = max(
            (sum(1 for y in u if y.b.device == x.b.device) for u in upl for x in u), default=1
        )
        defaults["uplink_ipv4_pool"] = pools.take(2 * len(devices) * spread * parallel)
        defaults["max_uplink_switches"] = spread
        defaults["max_parallel_uplinks"] = parallel
        for name in ("uplink_interfaces", "uplink_switches"):
            values = [nodes[d.id].get(name) for d in devices]
            if values[0] is not None and all(v == values[0] for v in values):
                defaults[name] = values[0]
                for d in devices:
                    del nodes[d.id][name]
    pairs = _mlag_pairs(devices, peers)
    if pairs:
        defaults["mlag_peer_ipv4_pool"] = pools.take(2 * len(devices))
        defaults["mlag_peer_l3_ipv4_pool"] = pools.take(2 * len(devices))
    if key == "super_spine":
        defaults["bgp_as"] = str(_SUPER_SPINE_AS)
    elif key == "spine":
        # one AS a pod: a pod's routes must not come back to it through the cores
        pods = sorted({d.group for d in devices})
        pod_as = dict(zip(pods, _asns(len(pods), _SPINE_AS_FIRST, _SPINE_AS_4BYTE, last=65100),
                          strict=True))  # fmt: skip
        if len(pods) == 1:
            defaults["bgp_as"] = pod_as[pods[0]]
        else:
            for d in devices:
                nodes[d.id]["bgp_as"] = pod_as[d.group]
    out: dict[str, Any] = {"defaults": defaults}
    if key != "l3leaf":
        out["nodes"] = [nodes[d.id] for d in devices]
        return out
    groups: list[dict[str, Any]] = []
    alone: list[dict[str, Any]] = []
    paired = {m for p in pairs for m in p}
    units = sorted([(p[0],) for p in pairs] + [(d.id,) for d in devices if d.id not in paired])
    asn = _asns(len(units), _LEAF_AS_FIRST, _LEAF_AS_4BYTE)
    unit_as = {u[0]: a for u, a in zip(units, asn, strict=True)}
    for a, b in pairs:
        members = []
        for dev, other in ((a, b), (b, a)):
            node = nodes[dev]
            node["mlag_interfaces"] = [
                _eos_interface(x.a if x.a.device == dev else x.b)
                for x in sorted(peers[dev], key=lambda x: x.id)
                if other in (x.a.device, x.b.device)
            ]
            members.append(node)
        groups.append({"group": f"{hosts[a]}_{hosts[b]}", "bgp_as": unit_as[a], "nodes": members})
    for d in devices:
        if d.id not in paired:
            alone.append({**nodes[d.id], "bgp_as": unit_as[d.id]})
    if groups:
        out["node_groups"] = groups
    if alone:
        out["nodes"] = alone
    return out


def _mlag_pairs(devices: list[Device], peers: Mapping[str, list[Link]]) -> list[tuple[str, str]]:
    """Leaves joined by ``leaf-peer`` links, as sorted (a, b) pairs."""
    ids = {d.id for d in devices}
    pairs = {
        tuple(sorted((x.a.device, x.b.device)))
        for d in devices
        for x in peers.get(d.id, ())
        if x.a.device in ids and x.b.device in ids
    }
    return sorted((a, b) for a, b in pairs)


def _asns(n: int, first: int, first_4byte: int, *, last: int = _AS_2BYTE_LAST) -> list[str]:
    """``n`` private AS numbers from ``first`` when they all fit up to ``last``, else
    from the 4-byte ``first_4byte``.

    Example:
        >>> _asns(3, 65101, 4_200_000_001), _asns(3, 65533, 4_200_000_001)
        (['65101', '65102', '65103'], ['4200000001', '4200000002', '4200000003'])
    """
    start = first if first + n - 1 <= last else first_4byte
    return [str(start + i) for i in range(n)]


def _eos_interface(end: Endpoint) -> str:
    """EOS name of a port: ``Ethernet17``, ``Ethernet3/2`` (lane 2), ``Management1``."""
    if end.port == 0:
        return "Management1"
    return f"Ethernet{end.port}/{end.lane}" if end.lane else f"Ethernet{end.port}"


class _PoolCarver:
    """Hands out consecutive, aligned IPv4 blocks of 10.0.0.0/8."""

    def __init__(self) -> None:
        self._next = int(_POOL_SPACE.network_address)

    def take(self, addresses: int) -> str:
        """The smallest aligned block holding ``addresses`` addresses plus network and
        broadcast room, as ``'10.0.4.0/24'``."""
        bits = max(2, math.ceil(math.log2(addresses + 2)))
        size = 1 << bits
        start = -(-self._next // size) * size
        block = ipaddress.IPv4Network((start, 32 - bits))
        if not block.subnet_of(_POOL_SPACE):
            raise ExportError(
                f"AVD address pools need more than {_POOL_SPACE} ({addresses} addresses "
                "asked after the earlier pools)"
            )
        self._next = start + size
        return str(block)


_HOST_BAD = re.compile(r"[^A-Za-z0-9-]+")


def _hostnames(ids: Iterable[str]) -> dict[str, str]:
    """A valid, unique EOS hostname and Ansible host for each device id: letters,
    digits and hyphens, 63 characters at most; clashes get ``-2``, ``-3``, ... in id
    order."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for i in sorted(set(ids)):
        base = _HOST_BAD.sub("-", i).strip("-")[:63].rstrip("-") or "switch"
        out[i] = _unique(base, taken, limit=63)
    return out


def _group_name(name: str) -> str:
    """An Ansible group name for a fabric: upper case, letters, digits, underscores."""
    g = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper() or "FABRIC"
    return g if not g[0].isdigit() else f"F_{g}"


def _unique(base: str, taken: set[str], *, sep: str = "-", limit: int = 255) -> str:
    """``base``, or ``base-2``, ``base-3``, ... the first not in ``taken`` (then taken)."""
    name, n = base, 1
    while name in taken:
        n += 1
        tail = f"{sep}{n}"
        name = base[: limit - len(tail)] + tail
    taken.add(name)
    return name


class _Dumper(yaml.SafeDumper):
    """Inventory style: a host with no variables is ``leaf-A01:``, not ``leaf-A01: null``."""


_Dumper.add_representer(type(None), lambda d, _: d.represent_scalar("tag:yaml.org,2002:null", ""))


def _yaml(data: Any, header: str | None) -> bytes:
    """YAML in insertion order after a ``#`` comment header (wrapped at 88 columns)."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
    lines = [
        wrapped
        for paragraph in (header or "").splitlines()
        for wrapped in textwrap.wrap(paragraph, 86, subsequent_indent="  ")
    ]
    head = "".join(f"# {line}\n" for line in lines)
    return (head + "---\n" + text).encode("utf-8")
