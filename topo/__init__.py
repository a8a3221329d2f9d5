"""topo: plan data-centre cabling from a floor layout and a network intent.

    >>> import topo
    >>> scenario = topo.load_scenario("examples/enterprise-hall.yaml")  # doctest: +SKIP
    >>> plan = topo.plan(scenario)                                      # doctest: +SKIP
    >>> plan.summary["cables"]                                          # doctest: +SKIP

``topo.plan(scenario) -> Plan`` is the one entry point; the CLI and the HTTP API call it.
``topo.read_plan(folder) -> Plan`` reads a plan folder back without planning again.
"""

from topo.errors import (
    CatalogError,
    FabricError,
    InfeasibleError,
    LayoutError,
    Problem,
    ScenarioError,
    TopoError,
)
from topo.outputs.read import read_plan
from topo.plan import Plan
from topo.planner import plan, validate_scenario
from topo.scenario import Scenario, load_scenario, parse_scenario

__version__ = "0.1.0"

__all__ = [
    "CatalogError",
    "FabricError",
    "InfeasibleError",
    "LayoutError",
    "Plan",
    "Problem",
    "Scenario",
    "ScenarioError",
    "TopoError",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "plan",
    "read_plan",
    "validate_scenario",
]
