"""The rail-optimized InfiniBand NDR scenario the placement tests plan on their halls."""

from __future__ import annotations

from layouts.model import Floor
from topo.scenario import Scenario, parse_scenario


def rail_scenario(floor: Floor, *, name: str, per_rack: int, su_nodes: int) -> Scenario:
    """8-GPU nodes (8 x 400G rails), ``per_rack`` a compute rack, on a rail-optimized NDR
    fabric of ``ib-64x400g-1u`` switches in scalable units of ``su_nodes`` nodes."""
    return parse_scenario(
        {
            "name": name,
            "floor": floor.model_dump(),
            "servers": {"model": "gpu-8x400g-8u", "per_rack": per_rack},
            "fabric": {
                "name": "compute",
                "kind": "rail-optimized",
                "nics": "compute",
                "su_nodes": su_nodes,
                "leaf": {"model": "ib-64x400g-1u"},
                "spine": {"model": "ib-64x400g-1u"},
            },
        }
    )
