"""Errors topo raises for a user's input; see :mod:`layouts.errors` for the hierarchy."""

from __future__ import annotations

from layouts.errors import (
    LayoutError,
    Problem,
    ScenarioError,
    TopoError,
    problems_from_validation,
)

__all__ = [
    "CatalogError",
    "DrawingError",
    "ExportError",
    "FabricError",
    "InfeasibleError",
    "LayoutError",
    "Problem",
    "ScenarioError",
    "TopoError",
    "problems_from_validation",
]


class CatalogError(TopoError):
    """An unknown switch model, server model or media, or a broken catalog entry."""


class FabricError(TopoError):
    """A fabric intent that cannot be built: too few ports, speeds that do not match."""


class InfeasibleError(TopoError):
    """A stage has no answer: no rack with room, no media long enough for a link."""


class DrawingError(TopoError):
    """A drawing option names something the plan does not have, or an output format
    needs an optional package that is not installed."""


class ExportError(TopoError):
    """A plan that an export format cannot express: an AVD export of a plan without
    an Ethernet fabric, a lab with no switch its tool can run."""
