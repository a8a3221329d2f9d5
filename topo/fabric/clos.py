"""Clos tiers: size and emit the spines (and cores) above a layer of leaves.

:func:`size_tiers` decides the shape from the switch radix, for ``L`` leaves of ``U``
uplinks each (all at one speed):

1. **Two tiers** while every leaf can reach every spine: ``L <= K`` spine ports. The
   spine count ``S`` is the fewest that keeps links even: the smallest divisor of ``U``
   with ``L x U / S <= K``; each leaf then has ``m = U / S`` links to every spine. When
   the bare minimum ``ceil(L x U / K)`` does not divide ``U`` it is rounded up, and a note
   says so.
2. **Three tiers** beyond: spines split their ports 1:1 into ``Ds`` down and ``Us`` up;
   leaves form pods of at most ``Ds`` leaves (whole units: a rail-optimized scalable unit
   keeps its rail leaves in one pod). Each pod has ``S`` spines (the smallest divisor of
   ``U`` that fits the pod's leaves). Spine ``j`` of every pod joins core group ``j``
   of ``C`` cores, ``C`` the smallest divisor of ``Us`` with ``pods x Us / C <= Kc``.

A pinned ``tiers`` or spine/core count is checked, and an impossible one is a problem that
says what would be possible. With ``k``-port switches at 1:1 this is the textbook fat
tree: ``k`` pods of ``k/2`` leaves and ``k/2`` spines, ``(k/2)^2`` cores, ``k^3/4`` hosts
and ``k^3/4`` links at every tier; two tiers top out at ``k^2/2`` hosts::

                 core-1 .. core-C   core-C+1 ..       (one group per spine index)
                   |  \\               |
         spine-01-01 .. spine-01-S   spine-02-01 ..   (S spines per pod)
            |    \\                       |
         leaf .. leaf  (pod 1)         leaf .. (pod 2)

:func:`emit_tiers` emits them: leaf uplink ``t`` goes to spine ``t mod S`` of its pod as
link ``k = t // S`` of that pair, on spine down port ``(leaf position in pod) x m + k``;
spine uplink ``t`` goes to core ``t mod C`` of its group, on core port
``(pod index) x m2 + k``. Spines are ``spine-{i}`` (two tiers) or ``spine-{pod}-{i}``;
cores ``core-{i}``. Every spine and core has ``rack=None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from topo.catalog import SwitchModel
from topo.errors import Problem
from topo.fabric.building import LinkBuffer, divisor_at_least, switch_device
from topo.fabric.ports import Slot, cages, slots, split_ports
from topo.model import Device

__all__ = ["Tiering", "emit_tiers", "size_tiers"]


@dataclass(frozen=True, slots=True)
class Tiering:
    """The checked shape of the tiers above the leaves.

    Attributes:
        pods: ``(first leaf index, leaf count)`` of every pod (one pod for two tiers).
        spines: spines per pod (three tiers) or in all (two tiers).
        m1: links between every leaf and every spine of its pod.
        cores_per_group: cores joined by spine ``j`` of every pod (three tiers).
        m2: links between every spine and every core of its group.
    """

    tiers: int
    speed: int
    pods: tuple[tuple[int, int], ...]
    spines: int
    m1: int
    spine_down: tuple[Slot, ...]
    spine_up: tuple[Slot, ...] = ()
    cores_per_group: int = 0
    m2: int = 0
    core_ports: tuple[Slot, ...] = ()
    notes: tuple[str, ...] = ()
    mesh: bool = False

    @property
    def spine_count(self) -> int:
        return self.spines * len(self.pods)

    @property
    def core_count(self) -> int:
        if self.tiers != 3:
            return 0
        return self.cores_per_group if self.mesh else self.spines * self.cores_per_group

    def shape(self, units: int) -> tuple[tuple[str, int | str], ...]:
        """The shape for the plan summary: units, pods, spines, cores and links per pair."""
        out: list[tuple[str, int | str]] = [
            ("units", units),
            ("pods", len(self.pods)),
            ("spines", self.spine_count),
            ("leaf_spine_links_per_pair", self.m1),
        ]
        if self.tiers == 3:
            out += [
                ("cores", self.core_count),
                ("core_wiring", "mesh" if self.mesh else "groups"),
                ("spine_core_links_per_pair", self.m2),
            ]
        return tuple(out)


def _reach(units: int, hosts_per_unit: int) -> int:
    return max(0, units) * hosts_per_unit


def size_tiers(
    *,
    leaves: int,
    unit: int,
    uplinks: int,
    speed: int,
    spine: SwitchModel,
    core: SwitchModel,
    tiers: int | None,
    spine_count: int | None,
    core_count: int | None,
    hosts: int,
    hosts_per_unit: int,
    location: str,
    problems: list[Problem],
    pod_units: int | None = None,
    core_wiring: str = "groups",
) -> Tiering | None:
    """Size the tiers above ``leaves`` leaves (see the module docstring).

    Args:
        unit: leaves that must stay in one pod (1, or the rails of a scalable unit).
        pod_units: pin the units per pod (three tiers); default as many as a spine takes.
        core_wiring: ``groups`` (spine ``j`` of every pod to core group ``j``) or ``mesh``
            (every spine to every core).
        uplinks: uplinks of every leaf at ``speed``.
        hosts / hosts_per_unit: servers attached, and per full unit; for messages only.
        location: the fabric's location, e.g. ``fabric`` or ``fabrics.0``.

    Returns:
        The tiering, or None with problems recorded.

    Example:
        >>> from topo.catalog import PortGroup, SwitchModel
        >>> k8 = SwitchModel(id="k8", name="8 ports", height_u=1, power_w=100, cost_usd=1,
        ...                  ports=(PortGroup(count=8, speed_gbps=100),))
        >>> t = size_tiers(leaves=32, unit=1, uplinks=4, speed=100, spine=k8, core=k8,
        ...                tiers=None, spine_count=None, core_count=None, hosts=128,
        ...                hosts_per_unit=4, location="fabric", problems=[])
        >>> t.tiers, len(t.pods), t.spines, t.spine_count, t.core_count
        (3, 8, 4, 32, 16)
    """
    if leaves == 0 or uplinks == 0:
        return None
    k2 = len(slots(cages(spine, ("down", "any")), speed))
    if k2 == 0:
        problems.append(
            Problem(
                f"{location}.spine.model",
                f"spine {spine.id!r} has no port at {speed}G",
                spine.id,
            )
        )
        return None
    reach2 = _reach(k2 // unit, hosts_per_unit)
    if tiers == 2 or (tiers is None and leaves <= k2):
        if leaves > k2:
            problems.append(
                Problem(
                    f"{location}.tiers",
                    f"at radix {k2} two tiers reach {reach2} hosts ({k2} leaves of "
                    f"{spine.id!r} spines at {speed}G); {hosts} asked in {leaves} leaves; "
                    "allow 3 tiers",
                    2,
                )
            )
            return None
        return _two_tiers(leaves, uplinks, speed, spine, k2, spine_count, location, problems)
    return _three_tiers(
        leaves, unit, uplinks, speed, spine, core, spine_count, core_count, hosts,
        hosts_per_unit, location, problems, pod_units, core_wiring == "mesh",
    )  # fmt: skip


def _two_tiers(
    leaves: int,
    uplinks: int,
    speed: int,
    spine: SwitchModel,
    k2: int,
    pinned: int | None,
    location: str,
    problems: list[Problem],
) -> Tiering | None:
    notes: list[str] = []
    spine_down = tuple(slots(cages(spine, ("down", "any")), speed))
    if pinned is not None:
        if pinned > uplinks:
            problems.append(
                Problem(
                    f"{location}.spine.count",
                    f"{pinned} spines, but each leaf has {uplinks} uplinks at {speed}G; "
                    f"at most {uplinks}",
                    pinned,
                )
            )
            return None
        s, m = pinned, uplinks // pinned
        if leaves * m > k2:
            fit = max(1, k2 // leaves)
            least = divisor_at_least(uplinks, math.ceil(uplinks / fit))
            problems.append(
                Problem(
                    f"{location}.spine.count",
                    f"{pinned} spines take {m} links from each of {leaves} leaves, "
                    f"{leaves * m} ports, but spine {spine.id!r} has {k2} at {speed}G; "
                    f"pin {least} or more spines",
                    pinned,
                )
            )
            return None
        if s * m < uplinks:
            notes.append(
                f"{s} spines pinned: {s * m} of {uplinks} leaf uplinks used, {m} to every spine"
            )
    else:
        least = math.ceil(leaves * uplinks / k2)
        s = divisor_at_least(uplinks, least)
        m = uplinks // s
        if s != least:
            notes.append(
                f"{least} spines would have the ports for {leaves} leaves x {uplinks} uplinks; "
                f"rounded up to {s} so every leaf has {m} link{'s' if m > 1 else ''} to every spine"
            )
    notes.append(
        f"two tiers: {leaves} leaves, {s} spines {spine.id!r}, {m} link{'s' if m > 1 else ''} "
        f"per leaf-spine pair at {speed}G; spines use {leaves * m} of {k2} ports"
    )
    return Tiering(2, speed, ((0, leaves),), s, m, spine_down, notes=tuple(notes))


def _three_tiers(
    leaves: int,
    unit: int,
    uplinks: int,
    speed: int,
    spine: SwitchModel,
    core: SwitchModel,
    spine_count: int | None,
    core_count: int | None,
    hosts: int,
    hosts_per_unit: int,
    location: str,
    problems: list[Problem],
    pod_units: int | None = None,
    mesh: bool = False,
) -> Tiering | None:
    notes: list[str] = []
    sp = split_ports(spine, speed, 1.0)
    ds, us = tuple(slots(sp.down, speed)), tuple(slots(sp.up, speed))
    kc = tuple(slots(cages(core, ("down", "any")), speed))
    if not ds or not us or not kc:
        problems.append(
            Problem(
                f"{location}.core.model" if not kc else f"{location}.spine.model",
                f"three tiers need spine ports down and up and core ports at {speed}G: spine "
                f"{spine.id!r} has {len(ds)} down and {len(us)} up, core {core.id!r} {len(kc)}",
                spine.id if kc else core.id,
            )
        )
        return None
    m1_max = 1
    if spine_count is not None:
        if spine_count > uplinks:
            problems.append(
                Problem(
                    f"{location}.spine.count",
                    f"{spine_count} spines per pod, but each leaf has {uplinks} uplinks at "
                    f"{speed}G; at most {uplinks}",
                    spine_count,
                )
            )
            return None
        m1_max = uplinks // spine_count
    units_per_pod = len(ds) // (unit * m1_max)
    if units_per_pod == 0:
        problems.append(
            Problem(
                f"{location}.spine.model",
                f"a pod needs room for {unit} leaves x {m1_max} links under each spine; spine "
                f"{spine.id!r} has {len(ds)} down ports at {speed}G",
                spine.id,
            )
        )
        return None
    n_units = math.ceil(leaves / unit)
    if pod_units is not None:
        if pod_units > units_per_pod:
            problems.append(
                Problem(
                    f"{location}.pod_units",
                    f"{pod_units} units of {unit} leaves per pod need {pod_units * unit * m1_max}"
                    f" down ports on each spine; spine {spine.id!r} has {len(ds)} at {speed}G; "
                    f"at most {units_per_pod} units per pod",
                    pod_units,
                )
            )
            return None
        units_per_pod = pod_units
    pods_needed = math.ceil(n_units / units_per_pod)
    reach3 = _reach(len(kc) * units_per_pod, hosts_per_unit)
    if pods_needed > len(kc):
        problems.append(
            Problem(
                f"{location}.spine.model",
                f"at radix {len(kc)} three tiers reach {reach3} hosts ({len(kc)} pods of "
                f"{units_per_pod * unit} leaves); {hosts} asked in {leaves} leaves; use "
                "switches with more ports at this speed",
                spine.id,
            )
        )
        return None
    per_pod = (pod_units if pod_units is not None else math.ceil(n_units / pods_needed)) * unit
    pods = tuple((first, min(per_pod, leaves - first)) for first in range(0, leaves, per_pod))
    biggest = max(n for _, n in pods)
    if spine_count is not None:
        s, m1 = spine_count, uplinks // spine_count
    else:
        least = math.ceil(biggest * uplinks / len(ds))
        s = divisor_at_least(uplinks, least)
        m1 = uplinks // s
        if s != least:
            notes.append(
                f"{least} spines per pod would have the ports for {biggest} leaves x {uplinks} "
                f"uplinks; rounded up to {s} so every leaf has {m1} link"
                f"{'s' if m1 > 1 else ''} to every spine of its pod"
            )
    n_pods = len(pods)
    if mesh:
        return _mesh_cores(
            n_pods, s, m1, ds, us, kc, core, core_count, speed, leaves, biggest, spine, pods,
            location, problems, notes,
        )  # fmt: skip
    if core_count is not None:
        if core_count % s:
            problems.append(
                Problem(
                    f"{location}.core.count",
                    f"{core_count} cores cannot be split evenly over the {s} spines of each "
                    f"pod; use a multiple of {s}",
                    core_count,
                )
            )
            return None
        c = core_count // s
        if c > len(us) or n_pods * (len(us) // c) > len(kc):
            least_c = divisor_at_least(len(us), math.ceil(n_pods * len(us) / len(kc)))
            problems.append(
                Problem(
                    f"{location}.core.count",
                    f"{core_count} cores ({c} per spine group) do not fit: each spine has "
                    f"{len(us)} uplinks, each core {len(kc)} ports for {n_pods} pods; "
                    f"use {least_c * s} cores",
                    core_count,
                )
            )
            return None
        m2 = len(us) // c
    else:
        least_c = math.ceil(n_pods * len(us) / len(kc))
        c = divisor_at_least(len(us), least_c)
        m2 = len(us) // c
        if c != least_c:
            notes.append(
                f"{least_c} cores per group would have the ports for {n_pods} pods x "
                f"{len(us)} spine uplinks; rounded up to {c} so every spine has {m2} link"
                f"{'s' if m2 > 1 else ''} to every core of its group"
            )
    notes.append(
        f"three tiers: {leaves} leaves in {n_pods} pods of up to {biggest}, {s} spines "
        f"{spine.id!r} per pod ({m1} link{'s' if m1 > 1 else ''} per leaf-spine pair), "
        f"{s} core groups of {c} cores {core.id!r} ({m2} link{'s' if m2 > 1 else ''} per "
        f"spine-core pair) at {speed}G"
    )
    return Tiering(3, speed, pods, s, m1, ds, us[: c * m2], c, m2, kc, tuple(notes))


def _mesh_cores(
    n_pods: int,
    s: int,
    m1: int,
    ds: tuple[Slot, ...],
    us: tuple[Slot, ...],
    kc: tuple[Slot, ...],
    core: SwitchModel,
    core_count: int | None,
    speed: int,
    leaves: int,
    biggest: int,
    spine: SwitchModel,
    pods: tuple[tuple[int, int], ...],
    location: str,
    problems: list[Problem],
    notes: list[str],
) -> Tiering | None:
    """Every spine to every core: ``C`` cores, ``C`` a divisor of the spine uplinks with
    ``pods x S x uplinks / C`` core ports."""
    spines = n_pods * s
    least = math.ceil(spines * len(us) / len(kc))
    c = divisor_at_least(len(us), least) if core_count is None else core_count
    if c > len(us) or len(us) % c or spines * (len(us) // c) > len(kc):
        fit = divisor_at_least(len(us), least)
        fits = fit <= len(us) and spines * (len(us) // fit) <= len(kc)
        hint = f"use {fit} cores" if fits else "use group wiring or more core ports"
        problems.append(
            Problem(
                f"{location}.core.count" if core_count is not None else f"{location}.core_wiring",
                f"a core mesh of {c} cores does not fit: {spines} spines x {len(us)} uplinks "
                f"at {speed}G over cores of {len(kc)} ports, links even per pair; {hint}",
                c,
            )
        )
        return None
    m2 = len(us) // c
    notes.append(
        f"three tiers: {leaves} leaves in {n_pods} pods of up to {biggest}, {s} spines "
        f"{spine.id!r} per pod ({m1} link{'s' if m1 > 1 else ''} per leaf-spine pair), "
        f"every spine to each of {c} cores {core.id!r} ({m2} link{'s' if m2 > 1 else ''} "
        f"per spine-core pair) at {speed}G"
    )
    return Tiering(3, speed, pods, s, m1, ds, us[: c * m2], c, m2, kc, tuple(notes), mesh=True)


def emit_tiers(
    buf: LinkBuffer,
    t: Tiering,
    leaf_ids: Sequence[str],
    up: Sequence[Slot],
    spine: SwitchModel,
    core: SwitchModel,
    *,
    prefix: str,
    fabric: str,
    plane_key: str = "",
    pod_zones: Sequence[str] = (),
    spine_zone: str = "",
    core_zone: str = "",
) -> list[Device]:
    """Emit spines, cores and the ``leaf-spine`` and ``spine-core`` links.

    Args:
        leaf_ids: the leaves in order; pods take them in runs (``t.pods``).
        up: every leaf's uplinks at ``t.speed``, in striping order.
        plane_key: when set, link ``n`` of the tiers gets redundancy ``{plane_key}:{n}``,
            the same ``n`` in every plane, so a router can keep planes apart.
        pod_zones: the zone key of each pod's spines (three tiers).
        spine_zone / core_zone: zone keys of two-tier spines and of cores.

    Returns:
        The spines then the cores, in id order.
    """
    add = buf.add
    speed, s, m1 = t.speed, t.spines, t.m1
    n = 0
    devices: list[Device] = []
    three = t.tiers == 3
    pw = max(2, len(str(len(t.pods))))
    sw = max(2, len(str(s)))
    spine_ids: list[list[str]] = []
    for d, (first, count) in enumerate(t.pods):
        if three:
            pod = f"pod{d + 1:0{pw}d}"
            ids = [f"{prefix}spine-{d + 1:0{pw}d}-{i:0{sw}d}" for i in range(1, s + 1)]
            zone = pod_zones[d] if d < len(pod_zones) else ""
            devices.extend(
                switch_device(x, "spine", spine, fabric, group=pod, zone=zone) for x in ids
            )
        else:
            ids = [f"{prefix}spine-{i:0{sw}d}" for i in range(1, s + 1)]
            devices.extend(switch_device(x, "spine", spine, fabric, zone=spine_zone) for x in ids)
        spine_ids.append(ids)
        for li in range(count):
            lid = leaf_ids[first + li]
            base = li * m1
            for u in range(m1 * s):
                k, si = divmod(u, s)
                uport, ulane = up[u]
                sport, slane = t.spine_down[base + k]
                n += 1
                red = f"{plane_key}:{n}" if plane_key else ""
                add(lid, uport, ulane, ids[si], sport, slane, speed, "leaf-spine", red)
    if not three:
        return devices
    c, m2 = t.cores_per_group, t.m2
    if t.mesh:
        cw = max(2, len(str(c)))
        ids = [f"{prefix}core-{i + 1:0{cw}d}" for i in range(c)]
        devices.extend(switch_device(x, "core", core, fabric, zone=core_zone) for x in ids)
        for g, sid in enumerate(x for pod in spine_ids for x in pod):
            for u in range(m2 * c):
                k, ci = divmod(u, c)
                uport, ulane = t.spine_up[u]
                cport, clane = t.core_ports[g * m2 + k]
                n += 1
                red = f"{plane_key}:{n}" if plane_key else ""
                add(sid, uport, ulane, ids[ci], cport, clane, speed, "spine-core", red)
        return devices
    cw = max(2, len(str(s * c)))
    cores = [[f"{prefix}core-{j * c + i + 1:0{cw}d}" for i in range(c)] for j in range(s)]
    for j, group in enumerate(cores):
        devices.extend(
            switch_device(x, "core", core, fabric, group=f"core-group-{j + 1:0{sw}d}",
                          zone=core_zone)
            for x in group
        )  # fmt: skip
    for d, ids in enumerate(spine_ids):
        for j, sid in enumerate(ids):
            group = cores[j]
            for u in range(m2 * c):
                k, ci = divmod(u, c)
                uport, ulane = t.spine_up[u]
                cport, clane = t.core_ports[d * m2 + k]
                n += 1
                red = f"{plane_key}:{n}" if plane_key else ""
                add(sid, uport, ulane, group[ci], cport, clane, speed, "spine-core", red)
    return devices
