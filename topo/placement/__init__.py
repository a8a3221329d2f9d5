"""Placement: devices -> racks and rack units.

:func:`place_devices` is the naive placement every plan is measured against
(:mod:`~topo.placement.naive`); :func:`optimize_placement` moves the switches the intent
leaves free to shorten or cheapen the cabling (:mod:`~topo.placement.optimize`).
"""

from topo.placement.naive import place_devices
from topo.placement.optimize import PlacementOptions, PlacementReport, optimize_placement

__all__ = ["PlacementOptions", "PlacementReport", "optimize_placement", "place_devices"]
