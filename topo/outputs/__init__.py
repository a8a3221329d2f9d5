"""Outputs: views of a :class:`~topo.plan.Plan`.

The files ``topo plan`` writes (:mod:`~topo.outputs.exports`), the drawings
(:mod:`~topo.outputs.drawing`) and the batch comparison table and chart
(:mod:`~topo.outputs.compare`). Every function here reads a plan; none plans.
"""

from topo.outputs.exports import OUTPUT_FILES, render_plan, write_plan
from topo.outputs.read import plan_from_files, read_plan

__all__ = ["OUTPUT_FILES", "plan_from_files", "read_plan", "render_plan", "write_plan"]
