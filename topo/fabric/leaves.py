"""The leaf layer of spine-leaf and Clos fabrics: servers to top-of-rack or end-of-row leaves.

Top-of-rack: each rack with attached servers gets ``per_rack`` leaves, ``leaf-{rack}`` or
``leaf-{rack}-{k}`` (``k`` from 1 when ``per_rack > 1``). Server NIC ``i`` (from 0) goes
to leaf ``i mod per_rack`` (rails), or, when the server has fewer ports than its rack has
leaves, to leaf ``(server index x ports + i) mod per_rack``; a server whose links reach
two or more leaves marks them with ``Link.redundancy = server id``. With ``peer_links``,
leaves 1-2 (3-4, ...) of a rack are joined by that many ``leaf-peer`` links on their last
uplink ports (an MLAG peer link for dual-homed servers)::

      leaf-A01-1 ===peer=== leaf-A01-2
          |    \\          /    |
          |     srv-A01-01     |        NIC 1 -> leaf 1, NIC 2 -> leaf 2
          |                    |
           ---- srv-A01-02 ----

End-of-row: a row's server NICs fill the row's leaves ``leaf-{row}-{k:02d}`` in server
then NIC order; the leaves carry ``rack=None`` and ``group`` = their row, and a placement
puts them in that row's network racks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from layouts.model import Rack
from topo.catalog import SwitchModel
from topo.fabric.building import LinkBuffer, switch_device
from topo.fabric.ports import Slot
from topo.model import Device

__all__ = [
    "LeafLayer",
    "emit_leaves",
    "emit_peer_links",
    "leaf_count",
    "rows_of",
    "tor_leaf_of",
    "tor_load",
]


@dataclass(frozen=True, slots=True)
class LeafLayer:
    """The leaves emitted, in id order, and the racks they serve (for placement hints)."""

    leaves: tuple[Device, ...]
    racks: tuple[tuple[Rack, ...], ...]  # racks served by each leaf, same order


def tor_leaf_of(j: int, i: int, p: int, per_rack: int) -> int:
    """Which of a rack's leaves NIC ``i`` of server ``j`` goes to (all from 0)."""
    if per_rack == 1:
        return 0
    return i % per_rack if p >= per_rack else (j * p + i) % per_rack


def tor_load(n: int, p: int, per_rack: int) -> list[int]:
    """Down ports each of a rack's leaves needs for ``n`` servers of ``p`` ports."""
    load = [0] * per_rack
    for j in range(n):
        for i in range(p):
            load[tor_leaf_of(j, i, p, per_rack)] += 1
    return load


def rows_of(racks: Sequence[tuple[Rack, tuple[str, ...]]]) -> dict[str, list]:
    """Attached racks by row, rows and racks in the order given (floor order)."""
    rows: dict[str, list] = {}
    for item in racks:
        rows.setdefault(item[0].row, []).append(item)
    return rows


def leaf_count(
    racks: Sequence[tuple[Rack, tuple[str, ...]]], p: int, down: int, eor: bool, per_rack: int
) -> int:
    """Leaves the layer will have."""
    if eor:
        return sum(
            math.ceil(sum(len(ids) for _, ids in items) * p / down) if down else 0
            for items in rows_of(racks).values()
        )
    return len(racks) * per_rack


def emit_leaves(
    buf: LinkBuffer,
    racks: Sequence[tuple[Rack, tuple[str, ...]]],
    ports: Sequence[int],
    speed: int,
    leaf: SwitchModel,
    down: Sequence[Slot],
    *,
    eor: bool,
    per_rack: int,
    prefix: str,
    fabric: str,
    always_redundant: bool = False,
    shift: dict[str, int] | None = None,
) -> LeafLayer:
    """Emit the leaves and the ``server-leaf`` links (see the module docstring).

    Args:
        racks: ``(rack, server ids)`` in floor order.
        ports: the NIC port numbers each server uses on this fabric (or plane).
        down: the leaf's down ports in fill order; the caller checked they suffice.
        prefix: put before every leaf id (``''``, ``'storage-'``, ``'p2-'``, ...).
        always_redundant: mark every server's links with its id (planes of one fabric).
        shift: by rack id, what to add to ``ports`` for that rack's servers.
    """
    shift = shift or {}
    if eor:
        return _emit_eor(
            buf, racks, ports, speed, leaf, down, prefix, fabric, always_redundant, shift
        )
    return _emit_tor(
        buf, racks, ports, speed, leaf, down, per_rack, prefix, fabric, always_redundant, shift
    )


def _emit_tor(
    buf: LinkBuffer,
    racks: Sequence[tuple[Rack, tuple[str, ...]]],
    ports: Sequence[int],
    speed: int,
    leaf: SwitchModel,
    down: Sequence[Slot],
    per_rack: int,
    prefix: str,
    fabric: str,
    always_redundant: bool,
    shift: dict[str, int],
) -> LeafLayer:
    p = len(ports)
    patterns: dict[int, list[list[tuple[int, int, int, int]]]] = {}

    def pattern(n: int) -> list[list[tuple[int, int, int, int]]]:
        # the NIC -> (leaf, port, lane) pattern is the same in every rack of n servers
        if n not in patterns:
            out, used = [], [0] * per_rack
            for j in range(n):
                nics = []
                for i in range(p):
                    q = tor_leaf_of(j, i, p, per_rack)
                    port, lane = down[used[q]]
                    used[q] += 1
                    nics.append((ports[i], q, port, lane))
                out.append(nics)
            patterns[n] = out
        return patterns[n]

    dual = always_redundant or (per_rack > 1 and p > 1)
    add = buf.add
    leaves: list[Device] = []
    served: list[tuple[Rack, ...]] = []
    for rack, ids in racks:
        if per_rack == 1:
            leaf_ids = [f"{prefix}leaf-{rack.id}"]
        else:
            leaf_ids = [f"{prefix}leaf-{rack.id}-{k}" for k in range(1, per_rack + 1)]
        leaves.extend(switch_device(lid, "leaf", leaf, fabric, rack=rack.id) for lid in leaf_ids)
        served.extend((rack,) for _ in leaf_ids)
        dx = shift.get(rack.id, 0)
        for sid, nics in zip(ids, pattern(len(ids)), strict=True):
            red = sid if dual else ""
            for nic, q, port, lane in nics:
                add(sid, nic + dx, 0, leaf_ids[q], port, lane, speed, "server-leaf", red)
    return LeafLayer(tuple(leaves), tuple(served))


def _emit_eor(
    buf: LinkBuffer,
    racks: Sequence[tuple[Rack, tuple[str, ...]]],
    ports: Sequence[int],
    speed: int,
    leaf: SwitchModel,
    down: Sequence[Slot],
    prefix: str,
    fabric: str,
    always_redundant: bool,
    shift: dict[str, int],
) -> LeafLayer:
    d = len(down)
    add = buf.add
    leaves: list[Device] = []
    served: list[tuple[Rack, ...]] = []
    for row, items in rows_of(racks).items():
        count = math.ceil(sum(len(ids) for _, ids in items) * len(ports) / d)
        lw = max(2, len(str(count)))
        leaf_ids = [f"{prefix}leaf-{row}-{k:0{lw}d}" for k in range(1, count + 1)]
        leaves.extend(switch_device(lid, "leaf", leaf, fabric, group=row) for lid in leaf_ids)
        reach: list[list[Rack]] = [[] for _ in leaf_ids]
        t = 0
        for rack, ids in items:
            dx = shift.get(rack.id, 0)
            for sid in ids:
                red = sid if always_redundant else ""
                for nic0 in ports:
                    nic = nic0 + dx
                    port, lane = down[t % d]
                    q = t // d
                    add(sid, nic, 0, leaf_ids[q], port, lane, speed, "server-leaf", red)
                    if not reach[q] or reach[q][-1] is not rack:
                        reach[q].append(rack)
                    t += 1
        served.extend(tuple(r) for r in reach)
    return LeafLayer(tuple(leaves), tuple(served))


def emit_peer_links(
    buf: LinkBuffer, leaves: Sequence[Device], per_rack: int, peers: Sequence[Slot], speed: int
) -> None:
    """``leaf-peer`` links between leaves 1-2, 3-4, ... of each rack, on ``peers`` ports."""
    for r in range(0, len(leaves), per_rack):
        rack_leaves = leaves[r : r + per_rack]
        for k in range(0, len(rack_leaves) - 1, 2):
            a, b = rack_leaves[k].id, rack_leaves[k + 1].id
            for port, lane in peers:
                buf.add(a, port, lane, b, port, lane, speed, "leaf-peer", f"{a}+{b}")
