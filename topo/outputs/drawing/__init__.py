"""Drawings: the floor plan of a plan as SVG, with tray fill and highlighted cable routes.

:func:`plan_to_svg` draws, in plan view and to scale:

1. the room outline and its keep-out zones (columns, cooling units, doors, other), each
   kind in its own style;
2. every rack, shaded by role (compute, network holding switches, spare network, empty)
   and labelled with its id where the label fits, else by the ids at the row ends;
3. every tray segment at its real width, coloured by fill on a sequential scale relative
   to its fill limit; a segment over its limit is red, hatched and outlined in dashes,
   and listed beside the plan;
4. optionally, the routes of chosen cables (by id, by rack, by tier): the drop from
   each end's rack to its tray, the tray segments in order, and both ends marked;
5. where the floor sets power budgets or cooling, each row's IT power against its
   budget as a bar along the row (:mod:`topo.outputs.drawing.power`);
6. a side panel with the scenario name, key figures from the plan summary, a legend, the
   over-limit list, a scale bar and a north arrow.

Coordinates: the floor has ``x`` to the east and ``y`` to the north, in metres; the drawing
has north up, so SVG ``y`` (which grows downwards) is flipped::

    floor (m)                    drawing (px)
      y                            0 ------> X
      ^                            |  plan      | panel
      |   [A01][A02]               |  [A01][A02]|
      +-------> x                  v Y

Every element a user or a test may look for carries ids in data attributes:
``data-rack="A01"`` on racks, ``data-segment="T-A.003"`` on tray segments,
``data-cable="C000123"`` on a highlighted route (whose ``data-segments`` lists the segment
ids it passes, A end first). Output is deterministic: sorted iteration and fixed number
formatting, so the same plan always gives the same bytes.

Modules (in :mod:`topo.outputs.drawing`): ``floor`` (the drawing), ``selection`` (which
cables to highlight, their route geometry), ``labels`` (label placement), ``panel`` (the
side panel), ``power`` (the row power view), ``png`` (PNG output).

:mod:`~topo.outputs.drawing.style` (style sheet, the floor-to-px view); every element,
escape and number is written by :mod:`topo.outputs.svg`, as the batch chart's are.

:func:`svg_to_png` renders a drawing to PNG when the optional ``png`` extra (``resvg-py``)
is installed.

Callers other than the CLI (an HTTP route serving ``floor.svg``) pass the same options::

    svg = plan_to_svg(plan, cables=["C000123"], rack="A01", tier="leaf-spine")

An option naming a cable, rack or tier the plan does not have raises
:class:`~topo.errors.DrawingError` (a ``TopoError``) listing every such name.
"""

from topo.outputs.drawing.floor import plan_to_svg
from topo.outputs.drawing.png import png_available, svg_to_png
from topo.outputs.drawing.selection import select_cables
from topo.outputs.drawing.style import FILL_COLOURS, MAX_DRAWN_ROUTES

__all__ = [
    "FILL_COLOURS",
    "MAX_DRAWN_ROUTES",
    "plan_to_svg",
    "png_available",
    "select_cables",
    "svg_to_png",
]
