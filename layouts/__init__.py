"""Physical space for topo: the floor model, its validation, the pathway graph and the
shipped floor layouts. Knows nothing of networks."""

from layouts.errors import LayoutError, Problem, ScenarioError, TopoError
from layouts.generate import regular_hall, row_id
from layouts.library import (
    LayoutInfo,
    floor_from_data,
    floor_to_yaml,
    list_layouts,
    load_layout,
    read_floor,
)
from layouts.model import RACK_UNIT_M, Floor, KeepOut, Rack, RackRow, Tray
from layouts.validate import check_floor, serving_tray, serving_trays, validate_floor

__all__ = [
    "RACK_UNIT_M",
    "Floor",
    "KeepOut",
    "LayoutError",
    "LayoutInfo",
    "Problem",
    "Rack",
    "RackRow",
    "ScenarioError",
    "TopoError",
    "Tray",
    "check_floor",
    "floor_from_data",
    "floor_to_yaml",
    "list_layouts",
    "load_layout",
    "read_floor",
    "regular_hall",
    "row_id",
    "serving_tray",
    "serving_trays",
    "validate_floor",
]
