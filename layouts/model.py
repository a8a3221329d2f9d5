"""The floor model: a room, its keep-out zones, rack rows and overhead cable trays.

All geometry is in metres in a plan view with ``x`` to the east and ``y`` to the north;
elevations are metres above the finished floor. Racks stand in straight rows along ``x``
or ``y``. A row's ``origin`` is the corner of its first rack with the smallest
coordinates; racks are ``width`` along the row and ``depth`` across it::

        y
        ^        direction: x
        |     +-----+-----+-----+
        |     | A01 | A02 | A03 |  depth
        |     +-----+-----+-----+
        |     ^ origin  width
        +-------------------------> x

Trays are polylines (their centre line) with a cross-section ``width`` x ``depth`` and an
``elevation`` (the tray bottom). A rack is served by the nearest tray that passes within
``drop_reach`` of its centre: cables drop from that point straight down to the rack top.

Every model is frozen and forbids unknown keys, so a typo in a scenario file is an error,
not a silently ignored field.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AIR_COOLING_KW",
    "RACK_UNIT_M",
    "Cooling",
    "Floor",
    "KeepOut",
    "Point",
    "Rack",
    "RackRole",
    "RackRow",
    "Tray",
]

RACK_UNIT_M = 0.04445
"""One rack unit (1U) in metres."""

Point = tuple[float, float]
RackRole = Literal["compute", "network", "empty"]
Cooling = Literal["air", "liquid"]

AIR_COOLING_KW = 40.0
"""Default heat an air-cooled row removes from one rack, kW (est.: 4 x H100 nodes)."""

PositiveM = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegM = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Coord = Annotated[float, Field(allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeepOut(_Frozen):
    """An area no rack may stand on and no tray is assumed to pass over at rack level:
    a building column, a cooling unit, a door swing."""

    id: str = Field(min_length=1)
    kind: Literal["column", "cooling", "door", "other"] = "column"
    outline: tuple[tuple[Coord, Coord], ...] = Field(
        description="Polygon vertices in metres, in order, not repeating the first."
    )


class Rack(_Frozen):
    """One cabinet, derived from its row. ``id`` follows the grid convention (``B07``)."""

    id: str
    row: str
    position: int
    x: float = Field(description="Centre, metres.")
    y: float = Field(description="Centre, metres.")
    size_x: float = Field(description="Footprint extent along x, metres.")
    size_y: float = Field(description="Footprint extent along y, metres.")
    height_u: int
    height_m: float = Field(description="Height of the rack top above the floor, metres.")
    power_kw: float
    role: RackRole
    cooling: Cooling | None = Field(
        None, description="How the rack's row is cooled; None when the floor does not say."
    )
    cooling_kw: float | None = Field(
        None, description="Heat the row's cooling removes from one rack, kW; None: no limit."
    )

    @property
    def limit_kw(self) -> float:
        """IT power the rack takes: its power budget, capped by its cooling."""
        return self.power_kw if self.cooling_kw is None else min(self.power_kw, self.cooling_kw)

    @property
    def corners(self) -> tuple[Point, Point, Point, Point]:
        hx, hy = self.size_x / 2, self.size_y / 2
        return (
            (self.x - hx, self.y - hy),
            (self.x + hx, self.y - hy),
            (self.x + hx, self.y + hy),
            (self.x - hx, self.y + hy),
        )


class RackRow(_Frozen):
    """A straight row of identical racks named ``{id}{position:02}``, positions from 1."""

    id: str = Field(min_length=1, pattern=r"^[A-Z]{1,3}$", description="Row letters, e.g. 'B'.")
    origin: tuple[Coord, Coord] = Field(description="Corner of rack 1 with the smallest x and y.")
    direction: Literal["x", "y"] = "x"
    count: int = Field(ge=1, le=99)
    width: PositiveM = 0.6
    depth: PositiveM = 1.2
    gap: NonNegM = Field(0.0, description="Space between neighbouring racks, metres.")
    height_u: int = Field(48, ge=1, le=60)
    height_m: PositiveM | None = Field(
        None, description="Rack top above the floor; default height_u x 44.45 mm + 0.1 m."
    )
    power_kw: NonNegM = Field(20.0, description="Power budget of each rack, kW.")
    role: RackRole = Field("compute", description="Role of every rack not listed in `roles`.")
    roles: dict[int, RackRole] = Field(
        default_factory=dict, description="Role by rack position, overriding `role`."
    )
    skip: tuple[int, ...] = Field((), description="Positions left empty (no rack stands there).")
    power_budget_kw: NonNegM | None = Field(
        None, description="IT power the row's busway or PDUs supply to all its racks, kW."
    )
    cooling: Cooling | None = Field(
        None,
        description="How the row is cooled: 'air' takes at most `cooling_kw` per rack "
        f"(default {AIR_COOLING_KW:g} kW), 'liquid' what the rack's power allows; "
        "a liquid-cooled system (catalog `cooling: liquid`) needs a liquid row.",
    )
    cooling_kw: NonNegM | None = Field(
        None, description="Heat the cooling removes from one rack, kW; default by `cooling`."
    )

    @property
    def rack_cooling_kw(self) -> float | None:
        """Per-rack cooling limit, kW: ``cooling_kw``, else the air default for air rows,
        else None (no limit beyond the rack's power)."""
        if self.cooling_kw is not None:
            return self.cooling_kw
        return AIR_COOLING_KW if self.cooling == "air" else None

    def racks(self) -> tuple[Rack, ...]:
        """The racks of the row, in position order."""
        top = self.height_m if self.height_m is not None else self.height_u * RACK_UNIT_M + 0.1
        pitch = self.width + self.gap
        ox, oy = self.origin
        out = []
        for pos in range(1, self.count + 1):
            if pos in self.skip:
                continue
            along = (pos - 1) * pitch + self.width / 2
            if self.direction == "x":
                x, y, sx, sy = ox + along, oy + self.depth / 2, self.width, self.depth
            else:
                x, y, sx, sy = ox + self.depth / 2, oy + along, self.depth, self.width
            out.append(
                Rack(
                    id=f"{self.id}{pos:02d}",
                    row=self.id,
                    position=pos,
                    x=round(x, 6),
                    y=round(y, 6),
                    size_x=sx,
                    size_y=sy,
                    height_u=self.height_u,
                    height_m=round(top, 6),
                    power_kw=self.power_kw,
                    role=self.roles.get(pos, self.role),
                    cooling=self.cooling,
                    cooling_kw=self.rack_cooling_kw,
                )
            )
        return tuple(out)


class Tray(_Frozen):
    """An overhead cable tray (or fibre raceway) following a polyline centre line."""

    id: str = Field(min_length=1)
    path: tuple[tuple[Coord, Coord], ...] = Field(
        min_length=2, description="Centre-line vertices in metres, at least two."
    )
    width: PositiveM = Field(0.3, description="Inside width, metres.")
    depth: PositiveM = Field(0.1, description="Usable loading depth, metres.")
    elevation: PositiveM = Field(2.7, description="Tray bottom above the floor, metres.")
    fill_limit: float | None = Field(
        None, gt=0, le=1, description="Fill limit as a fraction; default the floor's."
    )

    @property
    def area_mm2(self) -> int:
        """Cross-section available to cables, square millimetres."""
        return round(self.width * 1000 * self.depth * 1000)

    @property
    def length(self) -> float:
        return sum(math.dist(a, b) for a, b in zip(self.path, self.path[1:], strict=False))


class Floor(_Frozen):
    """A data hall: outline, keep-outs, rack rows and trays.

    Example:
        >>> floor = Floor(
        ...     name="DH1",
        ...     outline=((0, 0), (10, 0), (10, 6), (0, 6)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=3),),
        ...     trays=(Tray(id="T-A", path=((1, 1.6), (3, 1.6))),),
        ... )
        >>> [r.id for r in floor.racks]
        ['A01', 'A02', 'A03']
    """

    name: str = Field("DH1", min_length=1, description="Room name, used in cabinet labels.")
    outline: tuple[tuple[Coord, Coord], ...] = Field(
        description="Room polygon vertices in metres, in order, not repeating the first."
    )
    keepouts: tuple[KeepOut, ...] = ()
    rows: tuple[RackRow, ...] = ()
    trays: tuple[Tray, ...] = ()
    fill_limit: float = Field(
        0.4, gt=0, le=1, description="Default tray fill limit (TIA-569 initial install: 40%)."
    )
    drop_reach: PositiveM = Field(
        1.5, description="Largest horizontal distance from a rack centre to its tray, metres."
    )
    junction_tolerance: PositiveM = Field(
        0.05, description="Tray ends closer than this to another tray join it, metres."
    )
    power_budget_kw: NonNegM | None = Field(
        None, description="IT power the hall supplies to all its racks, kW; None: no budget."
    )

    @cached_property
    def racks(self) -> tuple[Rack, ...]:
        """Every rack of every row, sorted by id."""
        return tuple(sorted((r for row in self.rows for r in row.racks()), key=lambda r: r.id))

    @cached_property
    def rack_index(self) -> dict[str, Rack]:
        return {r.id: r for r in self.racks}

    def tray_fill_limit(self, tray: Tray) -> float:
        return tray.fill_limit if tray.fill_limit is not None else self.fill_limit
