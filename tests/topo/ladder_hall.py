"""A small hand-made hall shared by the optimizer tests."""

from __future__ import annotations

from layouts.model import Floor, RackRow, Tray
from topo.catalog import Catalog, builtin_catalog
from topo.media import MediaTable, media_table
from topo.model import Device, Endpoint, Fabric, Link
from topo.routing.optimizer import CableDemand

AOC_AREA = 3.141592653589793 * 3.0**2 / 4  # 7.07 mm²


def ladder(
    west: float = 0.3, east: float = 0.3, depth: float = 0.1, *, east_tray: bool = True
) -> Floor:
    """Two rows joined by a cross tray at each end; A01 is the network rack::

        X-W                              X-E
         +==========T-B=================+      y = 4.6
         |  [B01] [B02] [B03] [B04]     |
         |                              |      cross trays: width `west` / `east`
         |  [A01] [A02] [A03] [A04]     |
         +==========T-A=================+      y = 1.6
        x=0.5                          x=3.9

    A01 sits at the west end, so shortest routes to B01..B03 take X-W (B04 ties).
    """
    trays = [
        Tray(id="T-A", path=((0.5, 1.6), (3.9, 1.6))),
        Tray(id="T-B", path=((0.5, 4.6), (3.9, 4.6))),
        Tray(id="X-W", path=((0.5, 1.6), (0.5, 4.6)), width=west, depth=depth),
    ]
    if east_tray:
        trays.append(Tray(id="X-E", path=((3.9, 1.6), (3.9, 4.6)), width=east, depth=depth))
    return two_rows(trays)


def two_rows(trays: list[Tray]) -> Floor:
    """Rows A and B of four racks (A01 the network rack) in a 5 x 7 m room, with ``trays``."""
    return Floor(
        outline=((0, 0), (5, 0), (5, 7), (0, 7)),
        rows=(
            RackRow(id="A", origin=(1, 1), count=4, roles={1: "network"}),
            RackRow(id="B", origin=(1, 4), count=4),
        ),
        trays=tuple(trays),
    )


def aoc_catalog() -> Catalog:
    """The built-in catalog with a single 100G media (3 mm AOC): cross-sections do not
    change with length, so routing problems have fixed areas."""
    base = builtin_catalog()
    aoc = base.media_index["aoc-100g"]
    return base.model_copy(update={"media": (aoc,)})


def aoc_tables() -> dict[int, MediaTable]:
    return {100: media_table(aoc_catalog().media_for(100), None)}


def demands(per_rack: dict[str, int], *, source: str = "A01") -> list[CableDemand]:
    """``per_rack[r]`` cables from ``source`` to rack ``r``, 100G, 1 m in-rack base."""
    out = []
    for rack, n in sorted(per_rack.items()):
        for k in range(n):
            out.append(CableDemand(f"L-{rack}-{k:03d}", source, rack, 100, 1000))
    return out


def fabric(per_rack: dict[str, int], *, spines: int = 1, redundant: bool = False) -> Fabric:
    """Leaves in the listed racks with ``per_rack[r]`` uplinks each, striped over free
    spines (``rack=None``: the placement stage puts them in network racks)."""
    devices = [
        Device(f"spine-{i + 1:02d}", "spine", "sw-32x100g-1u", 1, 450.0, 18000.0)
        for i in range(spines)
    ]
    links = []
    for rack, n in sorted(per_rack.items()):
        leaf = f"leaf-{rack}"
        devices.append(Device(leaf, "leaf", "sw-32x100g-1u", 1, 450.0, 18000.0, rack=rack))
        for k in range(n):
            s = k % spines
            links.append(
                Link(
                    f"L-{rack}-{k:03d}",
                    Endpoint(leaf, k + 1),
                    Endpoint(f"spine-{s + 1:02d}", len(links) + 1),
                    100,
                    "leaf-spine",
                    "f",
                    f"pair-{rack}" if redundant else "",
                )
            )
    return Fabric("f", tuple(devices), tuple(links))


def scenario(floor: Floor, **options: object):
    """A scenario on ``floor``; its fabric intent is unused by ``plan_fabric``."""
    from topo.scenario import Scenario

    return Scenario.model_validate(
        {
            "name": "ladder",
            "floor": floor,
            "servers": {"model": "srv-1u-2x25g", "per_rack": 1},
            "fabric": {
                "kind": "spine-leaf",
                "leaf": {"model": "tor-48x25g-8x100g"},
                "spine": {"model": "sw-32x100g-1u"},
            },
            "options": options,
        }
    )


def assert_same_outputs(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    """Two renderings of a plan are byte-identical, every file."""
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
