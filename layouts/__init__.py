"""Physical space for topo: the floor model, its validation, the pathway graph and the
shipped floor layouts. Knows nothing of networks."""

from layouts.errors import LayoutError, Problem, ScenarioError, TopoError
from layouts.model import RACK_UNIT_M, Floor, KeepOut, Rack, RackRow, Tray

__all__ = [
    "RACK_UNIT_M",
    "Floor",
    "KeepOut",
    "LayoutError",
    "Problem",
    "Rack",
    "RackRow",
    "ScenarioError",
    "TopoError",
    "Tray",
]
