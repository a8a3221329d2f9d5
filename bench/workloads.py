"""Benchmark workloads: large halls with a pod-based leaf-spine fabric built directly.

``pod_hall(racks)`` lays out a regular hall (rows of 80 racks, or fewer for small halls)
with a network rack at both ends of every row. Rows are grouped into pods of
``pod_rows`` rows. Every compute rack holds ``servers`` GPU servers (8 x 400G NICs,
in-rack cables to their top-of-rack leaf) and one leaf whose 64 x 400G uplinks spread
over the pod's spines (placed by topo in the pod's network racks, or anywhere: the
placement optimizer chooses). So every leaf-spine cable runs through row trays, and
between the rows of a pod through the cross trays::

    X-01 #==[A01 net][A02]...[A79][A80 net]==# X-02     pod 1: rows A, B
         #==[B01 net][B02]...[B79][B80 net]==#          leaves A02..A79, B02..B79
         #==[C01 net][C02]...                #          spines in A01, A80, B01, B80

At 5,120 racks (64 rows of 80) that is 4,992 leaves, 319,488 leaf-spine cables through
the trays and 79,872 server-leaf cables inside the racks: 399,360 cables, the cable
count of a 100,000-GPU-class fabric. Trays are 600 x 150 mm (900 mm backbone); ``congested=True``
narrows them (to 200/300 x 100 mm in the 64-rack hall, 550/600 x 100 mm scaled by row
length in the others) so shortest routes overfill them near the network racks while a
routing that fits still exists.
"""

from __future__ import annotations

import math

from layouts.generate import regular_hall
from layouts.model import Floor
from topo.catalog import Catalog, builtin_catalog
from topo.model import Device, Endpoint, Fabric, Link
from topo.scenario import Options, Scenario

__all__ = ["pod_hall", "scenario_for"]


def _shape(racks: int) -> tuple[int, int]:
    """Rows and racks per row: 4 x 16, 8 x 64, 32 x 64, 64 x 80 for the bench sizes."""
    per_row = 16 if racks <= 64 else 64 if racks <= 2048 else 80
    rows = math.ceil(racks / per_row)
    return rows, per_row


def pod_hall(
    racks: int,
    *,
    congested: bool = False,
    pod_rows: int = 4,
    servers: int = 2,
    uplinks: int = 64,
) -> tuple[Floor, Fabric, Catalog]:
    """A hall of about ``racks`` racks and its fabric (see the module docstring)."""
    rows, per_row = _shape(racks)
    tray, backbone, depth = 0.6, 0.9, 0.15
    if congested:  # about 1.3 x over on shortest routes, but a fit exists
        scale = 1.0 if per_row <= 16 else (per_row - 2) / 62
        tray, backbone, depth = (0.2, 0.3, 0.1) if per_row <= 16 else (0.55, 0.6, 0.1)
        tray, backbone = round(tray * scale, 3), round(backbone * scale, 3)
    floor = regular_hall(
        rows=rows,
        racks_per_row=per_row,
        network_positions=(1, per_row),
        power_kw=60.0,
        tray_width=tray,
        backbone_width=backbone,
        tray_depth=depth,
        cross_every=20,
    )
    catalog = builtin_catalog()
    leaf = catalog.switch("sw-64x800g-2u")
    spine = catalog.switch("sw-64x800g-2u")
    server = catalog.server("gpu-8x400g-8u")
    devices: list[Device] = []
    links: list[Link] = []
    by_row: dict[str, list[str]] = {}
    for r in floor.racks:
        if r.role == "compute":
            by_row.setdefault(r.row, []).append(r.id)
    row_ids = sorted(by_row)
    width = len(str(len(floor.racks) * (servers * 8 + uplinks)))
    n = 0

    def link_id() -> str:
        nonlocal n
        n += 1
        return f"bench-L{n:0{width}d}"

    leaves_of_pod: dict[int, list[str]] = {}
    for k, row in enumerate(row_ids):
        for rack in by_row[row]:
            lid = f"leaf-{rack}"
            devices.append(
                Device(
                    lid,
                    "leaf",
                    leaf.id,
                    leaf.height_u,
                    leaf.power_w,
                    leaf.cost_usd,
                    rack=rack,
                    fabric="bench",
                )
            )
            leaves_of_pod.setdefault(k // pod_rows, []).append(lid)
            for s in range(servers):
                sid = f"srv-{rack}-{s + 1:02d}"
                devices.append(
                    Device(
                        sid,
                        "server",
                        server.id,
                        server.height_u,
                        server.power_w,
                        server.cost_usd,
                        rack=rack,
                    )
                )
                for nic in range(8):
                    links.append(
                        Link(
                            link_id(),
                            Endpoint(sid, nic + 1),
                            Endpoint(lid, s * 8 + nic + 1),
                            400,
                            "server-leaf",
                            "bench",
                        )
                    )
    for pod, leaves in sorted(leaves_of_pod.items()):
        # 128 x 400G spine ports; each leaf sends `uplinks` links striped over the spines
        count = math.ceil(len(leaves) * uplinks / 128)
        spines = [f"spine-p{pod + 1:02d}-{i + 1:03d}" for i in range(count)]
        devices.extend(
            Device(
                s,
                "spine",
                spine.id,
                spine.height_u,
                spine.power_w,
                spine.cost_usd,
                fabric="bench",
                group=f"pod{pod + 1}",
            )
            for s in spines
        )
        used = [0] * count
        t = 0
        for lid in leaves:
            for up in range(uplinks):
                si = t % count
                t += 1
                used[si] += 1
                links.append(
                    Link(
                        link_id(),
                        Endpoint(lid, 64 + up + 1),
                        Endpoint(spines[si], used[si]),
                        400,
                        "leaf-spine",
                        "bench",
                    )
                )
    fabric = Fabric("bench", tuple(devices), tuple(links))
    return floor, fabric, catalog


def scenario_for(floor: Floor, **options: object) -> Scenario:
    """A scenario wrapper (the fabric intent is unused: the bench builds the fabric)."""
    return Scenario.model_validate(
        {
            "name": "bench",
            "floor": floor,
            "servers": {"model": "gpu-8x400g-8u", "per_rack": 2},
            "fabric": {
                "kind": "spine-leaf",
                "leaf": {"model": "sw-64x800g-2u"},
                "spine": {"model": "sw-64x800g-2u"},
            },
            "options": Options(**options).model_dump(),  # type: ignore[arg-type]
        }
    )
