"""containerlab: a plan's switches and their cables as a lab topology file.

:func:`plan_to_containerlab` writes ``lab.clab.yml``, a containerlab topology that
boots one container a switch and wires them as the plan cables them. Steps:

1. Nodes: every switch with a containerlab kind, named by its device id made valid
   for containerlab (letters, digits, ``-``, ``_``, ``.``; unique, in id order). The
   kind follows the switch model's catalog ``manufacturer``: Arista -> ``arista_ceos``,
   NVIDIA / Mellanox / Cumulus -> ``nvidia_cumulusvx``, Nokia -> ``nokia_srlinux``;
   any other (or none) -> ``arista_ceos``. InfiniBand switches have no containerlab
   kind: they and their links are left out, and the file's header says how many.
   Servers are left out by default (a 128-node GPU pod would boot 128 more
   containers); ``servers=True`` adds them as ``linux`` nodes with their leaf links.
2. Links: every planned link between two included nodes, in plan order, as
   ``endpoints: ["leaf-A01:eth49", "spine-01:eth1_1"]``. Links to a management port
   (port 0) are left out: containerlab gives every node its own management interface
   (``eth0``) on its management network instead.
3. Interfaces use each kind's Linux names: cEOS ``eth17`` is ``Ethernet17`` and
   ``eth3_2`` is ``Ethernet3/2`` (lane 2 of a broken-out port); Cumulus ``swp17`` and
   ``swp3s1``; SR Linux ``e1-17`` and ``e1-3-2``; a server's NIC port 3 is ``eth3``.
4. Images go in ``topology.kinds`` once a kind; they are placeholders to edit (cEOS
   is imported from arista.com under the name given there).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from topo.catalog import SwitchModel
from topo.errors import ExportError
from topo.model import Device, Endpoint
from topo.plan import Plan

__all__ = ["CLAB_IMAGES", "CLAB_KINDS", "plan_to_containerlab"]

CLAB_KINDS = {
    "arista": "arista_ceos",
    "cumulus": "nvidia_cumulusvx",
    "mellanox": "nvidia_cumulusvx",
    "nvidia": "nvidia_cumulusvx",
    "nokia": "nokia_srlinux",
}
"""containerlab kind by a word of the switch model's manufacturer (lower case)."""

CLAB_IMAGES = {
    "arista_ceos": "ceos:4.32.0F",
    "linux": "alpine:3",
    "nokia_srlinux": "ghcr.io/nokia/srlinux",
    "nvidia_cumulusvx": "cumulus-vx:5",
}
"""Placeholder container image of each kind, written in ``topology.kinds``."""

_DEFAULT_KIND = "arista_ceos"
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def plan_to_containerlab(plan: Plan, *, servers: bool = False) -> dict[str, bytes]:
    """The plan's switches and the links between them as ``lab.clab.yml``.

    Args:
        plan: the plan; never re-planned.
        servers: also boot every server as a ``linux`` node, with its links to the
            included switches.

    Returns:
        ``{"lab.clab.yml": bytes}``.

    Raises:
        ExportError: no switch of the plan has a containerlab kind (only InfiniBand).

    Example:
        >>> import topo
        >>> plan = topo.plan(topo.load_scenario("examples/enterprise-hall.yaml"))  # doctest: +SKIP
        >>> print(plan_to_containerlab(plan)["lab.clab.yml"].decode())  # doctest: +SKIP
    """
    models = plan.catalog.switch_index
    kinds: dict[str, str] = {}
    infiniband: dict[str, str] = {}  # InfiniBand switch id -> its network
    for d in sorted(plan.placement.devices, key=lambda d: d.id):
        if d.role in ("server", "appliance"):
            if servers:
                kinds[d.id] = "linux"
        elif _is_infiniband(models.get(d.model)):
            infiniband[d.id] = d.fabric or plan.fabric.name
        else:
            kinds[d.id] = _kind_of(models.get(d.model))
    if not any(k != "linux" for k in kinds.values()):
        raise ExportError(
            f"plan {plan.scenario.name!r} has no switch with a containerlab kind: "
            f"{len(infiniband)} InfiniBand switches only"
        )
    names = _node_names(kinds)
    links: list[dict[str, list[str]]] = []
    dropped: Counter[str] = Counter()
    for x in plan.fabric.links:
        ends = (x.a.device, x.b.device)
        if not all(e in kinds for e in ends):
            # a link the lab would hold if InfiniBand switches had a kind
            if all(e in kinds or e in infiniband for e in ends):
                dropped["InfiniBand"] += 1
        elif x.a.port == 0 or x.b.port == 0:
            dropped["management port"] += 1
        else:
            a, b = (f"{names[e.device]}:{_interface(kinds[e.device], e)}" for e in (x.a, x.b))
            links.append({"endpoints": [a, b]})
    devices = plan.placement.device_index()
    nodes = {
        names[i]: {"kind": kinds[i], "labels": _labels(devices[i])}
        for i in sorted(kinds, key=lambda i: names[i])
    }
    topology: dict[str, Any] = {
        "kinds": {k: {"image": CLAB_IMAGES[k]} for k in sorted(set(kinds.values()))},
        "nodes": nodes,
    }
    if links:
        topology["links"] = links
    lab = {"name": _lab_name(plan.scenario.name), "topology": topology}
    header = _header(
        plan.scenario.name, kinds, len(links), Counter(infiniband.values()), dropped, servers
    )
    text = yaml.safe_dump(lab, sort_keys=False, default_flow_style=None, width=200)
    return {"lab.clab.yml": (header + text).encode("utf-8")}


def _is_infiniband(model: SwitchModel | None) -> bool:
    """An InfiniBand switch, by its catalog name or the ``ib-`` id prefix."""
    if model is None:
        return False
    return model.id.startswith("ib-") or "infiniband" in model.name.lower()


def _kind_of(model: SwitchModel | None) -> str:
    """containerlab kind of a switch model, from its manufacturer."""
    maker = (model.manufacturer or "").lower() if model is not None else ""
    for word, kind in CLAB_KINDS.items():
        if word in maker:
            return kind
    return _DEFAULT_KIND


def _interface(kind: str, end: Endpoint) -> str:
    """Linux name of a port inside a node of ``kind`` (see the module docstring)."""
    port, lane = end.port, end.lane
    if kind == "nvidia_cumulusvx":
        return f"swp{port}s{lane - 1}" if lane else f"swp{port}"
    if kind == "nokia_srlinux":
        return f"e1-{port}-{lane}" if lane else f"e1-{port}"
    return f"eth{port}_{lane}" if lane else f"eth{port}"


def _labels(d: Device) -> dict[str, str]:
    out = {"topo.role": d.role}
    if d.rack:
        out["topo.rack"] = d.rack
    if d.fabric:
        out["topo.fabric"] = d.fabric
    return out


def _node_names(ids: Iterable[str]) -> dict[str, str]:
    """A valid, unique containerlab node name for each device id, in id order:
    letters, digits, ``-``, ``_``, ``.``, starting with a letter or digit, 63
    characters at most; clashes get ``-2``, ``-3``, ..."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for i in sorted(ids):
        base = _NAME_BAD.sub("-", i).lstrip("-_.")[:63] or "node"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base[: 63 - len(str(n)) - 1]}-{n}"
        taken.add(name)
        out[i] = name
    return out


def _lab_name(scenario: str) -> str:
    return _NAME_BAD.sub("-", scenario).lstrip("-_.") or "topo"


def _header(
    scenario: str,
    kinds: Mapping[str, str],
    links: int,
    infiniband: Mapping[str, int],
    dropped: Mapping[str, int],
    servers: bool,
) -> str:
    by_kind = Counter(kinds.values())
    counts = ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items()))
    lines = [
        f"containerlab topology of scenario {scenario!r}, written by topo.",
        f"Nodes: {counts}. Links: {links}, the plan's links between these nodes"
        + (" but those left out below." if any(dropped.values()) else "."),
    ]
    if not servers:
        lines.append("Servers are left out (plan_to_containerlab(plan, servers=True) adds them).")
    if infiniband:
        nets = ", ".join(f"{n} of network {net!r}" for net, n in sorted(infiniband.items()))
        lines.append(
            f"Left out: InfiniBand switches ({nets}) and their {dropped['InfiniBand']} "
            "links: containerlab has no InfiniBand kind."
        )
    if dropped["management port"]:
        lines.append(
            f"Left out: {dropped['management port']} links to management ports (containerlab "
            "connects every node's eth0 to its own management network)."
        )
    lines += [
        "Interfaces are Linux names: cEOS eth17 = Ethernet17, eth3_2 = Ethernet3/2;",
        "Cumulus swp3s1 = lane 2 of swp3; SR Linux e1-3-2 = ethernet-1/3/2.",
        "Images under topology.kinds are placeholders: import cEOS from arista.com as named.",
    ]
    return "".join(f"# {line}\n" for line in lines)
