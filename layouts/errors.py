"""The error hierarchy shared by every layer of topo.

``TopoError`` is the root. Each error carries one or more :class:`Problem` records so
that a caller (the CLI, the HTTP API) can list *every* problem found, each naming the
offending object, the value and the limit, instead of stopping at the first::

    TopoError
    ├── ScenarioError      malformed file, unknown key, wrong type
    ├── LayoutError        impossible floor geometry
    ├── CatalogError       unknown switch model or media
    ├── FabricError        intent that cannot be built (too few ports, ...)
    └── InfeasibleError    a stage that has no answer for the given input

The base lives in ``layouts`` because ``layouts`` is the lowest layer; ``topo.errors``
re-exports it together with the network-specific errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["LayoutError", "Problem", "ScenarioError", "TopoError", "problems_from_validation"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a user's input.

    Attributes:
        location: dotted path of the offending field or object, e.g. ``floor.racks.A01``
            or ``fabric.spine.model``. Empty when the problem concerns the whole input.
        message: a sentence naming the object, the value and the limit.
        value: the offending value, where there is one (kept for machine readers).
    """

    location: str
    message: str
    value: object = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def to_dict(self) -> dict[str, object]:
        """A JSON-safe mapping: a value JSON cannot hold (an object, an infinite or NaN
        float) becomes its ``repr``.

        Example:
            >>> Problem("floor.trays.0", "tray '0' leaves the room", float("inf")).to_dict()
            {'location': 'floor.trays.0', 'message': "tray '0' leaves the room", 'value': 'inf'}
        """
        value = self.value
        plain = value is None or isinstance(value, str | int | bool)
        finite = isinstance(value, float) and math.isfinite(value)
        if not (plain or finite):
            value = repr(value)
        return {"location": self.location, "message": self.message, "value": value}


class TopoError(Exception):
    """Root of every error topo raises for a user's input.

    Args:
        problems: one or more problems; a plain string becomes a single problem with no
            location.
    """

    def __init__(self, problems: str | Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            items: tuple[Problem, ...] = (Problem("", problems),)
        elif isinstance(problems, Problem):
            items = (problems,)
        else:
            items = tuple(problems)
        if not items:
            raise ValueError("an error needs at least one problem")
        self.problems = items
        super().__init__("; ".join(str(p) for p in items))


class ScenarioError(TopoError):
    """The scenario file could not be read: bad syntax, unknown key, wrong type."""


class LayoutError(TopoError):
    """The floor layout is impossible: geometry outside the room, overlaps, no tray."""


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "tuple", "[key]"})


def _loc_part_kept(part: int | str) -> bool:
    # pydantic puts union branches in the location: class names ("Floor"), type names
    # ("str") and discriminator tags ("spine-leaf"); field names are snake_case
    if isinstance(part, int):
        return True
    return part.isidentifier() and not part[:1].isupper() and part not in _TYPE_TAGS


def problems_from_validation(exc: ValidationError, *, prefix: str = "") -> list[Problem]:
    """One problem per pydantic error, located by a dotted path under ``prefix``.

    Union-branch markers are dropped from locations, so an error inside an inline floor
    reads ``floor.rows.0.count``, not ``floor.Floor.rows.0.count``.
    """
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        parts = [str(p) for p in loc if _loc_part_kept(p)]
        if err["type"] in ("extra_forbidden", "missing") and loc and not _loc_part_kept(loc[-1]):
            # the key itself is the last part, whatever it looks like ("Rack", "my key")
            parts.append(str(loc[-1]))
        location = ".".join([prefix, *parts]) if prefix else ".".join(parts)
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            message, value = f"unknown key {parts[-1]!r}", parts[-1]
        elif err["type"] == "missing":
            message, value = f"missing required key {parts[-1]!r}", None
        else:
            shown = value if isinstance(value, str | int | float | bool) else None
            message = err["msg"] if shown is None else f"{err['msg']} (got {shown!r})"
            value = shown
        if (location, message) not in seen:
            seen.add((location, message))
            out.append(Problem(location, message, value))
    return out
