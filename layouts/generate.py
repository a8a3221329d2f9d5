"""Parametric floor generators for tests, benchmarks and starting points.

:func:`regular_hall` lays out a rectangular hall of identical rows in steps:

1. Rows run along ``x`` and stack along ``y``, named ``A..Z``, ``AA, AB, ...``; the aisles
   between them alternate hot (backs facing, after rows ``A``, ``C``, ...) and cold.
2. A row tray runs along the centre line of every row, one ``margin/2`` beyond its ends.
3. Cross (backbone) trays run across the rows in the end aisles (``X-01`` west, the last
   one east) and, with ``cross_every``, between racks every that many positions. They
   cross every row tray at the same elevation, so the tray network is connected.
4. With ``column_every``, building columns stand on a grid in the aisles between rows,
   wherever they would clear every rack and every tray.
5. The room is the rack block plus ``margin`` on every side::

        +------------------------------------+
        |   X-01                       X-02  |    ==== row tray (T-A, T-B, ...)
        |    #==[A01][A02]...[A10]=====#     |    #    cross tray (X-01, X-02, ...)
        |    #         hot aisle       #     |    o    building column (C01, ...)
        |    #==[B01][B02]...[B10]=====#     |
        |    #       o cold aisle  o   #     |
        |    #==[C01][C02]...[C10]=====#     |
        +------------------------------------+

Everything is deterministic: the same arguments give the same floor, coordinates rounded
to the millimetre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from shapely.geometry import LineString

from layouts.model import RACK_UNIT_M, Cooling, Floor, KeepOut, RackRole, RackRow, Tray

__all__ = ["regular_hall", "row_id"]

_MAX_ROWS = 26 + 26 * 26 + 26 * 26 * 26
"""Row ids have one to three letters."""

_CLEARANCE = 0.05
"""Space kept between a generated column and any rack or tray footprint, metres."""


def row_id(index: int) -> str:
    """The id of the row at 0-based ``index``: ``A..Z``, then ``AA, AB, ..., ZZ, AAA``.

    Example:
        >>> [row_id(i) for i in (0, 25, 26, 27, 51, 52)]
        ['A', 'Z', 'AA', 'AB', 'AZ', 'BA']
    """
    if not 0 <= index < _MAX_ROWS:
        raise ValueError(f"row index {index} is outside 0..{_MAX_ROWS - 1}")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def regular_hall(
    *,
    name: str = "HALL",
    rows: int = 4,
    racks_per_row: int = 10,
    rack_width: float = 0.6,
    rack_depth: float = 1.2,
    height_u: int = 48,
    power_kw: float = 20.0,
    hot_aisle: float = 1.2,
    cold_aisle: float = 1.2,
    margin: float = 1.8,
    network_positions: Sequence[int] = (),
    network_rows: Sequence[str] = (),
    tray_width: float = 0.3,
    backbone_width: float = 0.6,
    tray_depth: float = 0.1,
    tray_clearance: float = 0.3,
    cross_every: int | None = None,
    column_every: float | None = None,
    column_size: float = 0.5,
    drop_reach: float = 1.5,
    cooling: Cooling | None = None,
    cooling_kw: float | None = None,
    row_budget_kw: float | None = None,
    hall_budget_kw: float | None = None,
) -> Floor:
    """A rectangular hall of identical rows with row trays, cross trays and columns.

    Args:
        name: room name.
        rows: number of rows, 1 or more.
        racks_per_row: racks in every row, 1..99.
        rack_width: rack width along the row, metres.
        rack_depth: rack depth across the row, metres.
        height_u: rack height in U; the rack top is ``height_u`` x 44.45 mm + 0.1 m.
        power_kw: power budget of every rack.
        hot_aisle: width of the aisles after rows ``A``, ``C``, ... (backs facing), metres.
        cold_aisle: width of the aisles after rows ``B``, ``D``, ... (fronts facing), metres.
        margin: space between the rack block and the walls on every side, metres; the
            cross trays run along its middle, so it must be at least ``backbone_width``.
        network_positions: positions (1-based) that hold a network rack in every row.
        network_rows: ids of rows whose racks are all network racks.
        tray_width: width of the row trays, metres.
        backbone_width: width of the cross (backbone) trays, metres.
        tray_depth: loading depth of every tray, metres.
        tray_clearance: least space between the rack top and the tray bottom, metres; the
            tray elevation is rounded up to 5 cm.
        cross_every: add a cross tray between racks every this many positions.
        column_every: building-column grid spacing, metres; columns stand in the aisles
            between rows, at ``column_every/2`` from the row starts then every
            ``column_every`` along them, in the first aisle and then every
            ``round(column_every / row pitch)``-th aisle (row pitch: rack depth plus the
            mean aisle). A column that would come within 5 cm of a tray is left out.
        column_size: side of a (square) column, metres; must fit in the aisles.
        drop_reach: the floor's ``drop_reach``.
        cooling: how every row is cooled, ``air`` or ``liquid``; None leaves it unsaid.
        cooling_kw: heat every row's cooling removes from one rack, kW.
        row_budget_kw: IT power budget of every row (busway, PDUs), kW.
        hall_budget_kw: IT power budget of the hall, kW.

    Returns:
        A floor that passes :func:`layouts.validate.validate_floor` with no problems.

    Raises:
        ValueError: an argument is out of range (the message names it and its limit).

    Example:
        >>> floor = regular_hall(rows=2, racks_per_row=4, network_positions=(2,))
        >>> [r.id for r in floor.racks if r.role == "network"]
        ['A02', 'B02']
        >>> sorted(t.id for t in floor.trays)
        ['T-A', 'T-B', 'X-01', 'X-02']
        >>> floor.outline
        ((0.0, 0.0), (6.0, 0.0), (6.0, 7.2), (0.0, 7.2))
    """
    _check_args(
        rows=rows,
        racks_per_row=racks_per_row,
        hot_aisle=hot_aisle,
        cold_aisle=cold_aisle,
        margin=margin,
        network_positions=network_positions,
        network_rows=network_rows,
        backbone_width=backbone_width,
        cross_every=cross_every,
        column_every=column_every,
        column_size=column_size,
    )
    ids = [row_id(i) for i in range(rows)]
    unknown = sorted(set(network_rows) - set(ids))
    if unknown:
        raise ValueError(f"network_rows names rows {unknown} outside 'A'..{ids[-1]!r}")

    x0, length = margin, racks_per_row * rack_width
    row_y = [margin]
    for i in range(1, rows):
        row_y.append(row_y[-1] + rack_depth + _aisle(i - 1, hot_aisle, cold_aisle))
    width_m = _mm(2 * margin + length)
    height_m = _mm(row_y[-1] + rack_depth + margin)

    top = height_u * RACK_UNIT_M + 0.1
    elevation = _mm(math.ceil(round((top + tray_clearance) / 0.05, 6)) * 0.05)
    network: dict[int, RackRole] = {p: "network" for p in sorted(set(network_positions))}
    rack_rows = tuple(
        RackRow(
            id=rid,
            origin=(_mm(x0), _mm(y)),
            count=racks_per_row,
            width=rack_width,
            depth=rack_depth,
            height_u=height_u,
            power_kw=power_kw,
            role="network" if rid in network_rows else "compute",
            roles={} if rid in network_rows else network,
            cooling=cooling,
            cooling_kw=cooling_kw,
            power_budget_kw=row_budget_kw,
        )
        for rid, y in zip(ids, row_y, strict=True)
    )

    centres = [_mm(y + rack_depth / 2) for y in row_y]
    west, east = _mm(margin / 2), _mm(margin + length + margin / 2)
    ends = (west, east) if rows > 1 else (_mm(x0), _mm(x0 + length))
    trays = [
        Tray(
            id=f"T-{rid}",
            path=((ends[0], c), (ends[1], c)),
            width=tray_width,
            depth=tray_depth,
            elevation=elevation,
        )
        for rid, c in zip(ids, centres, strict=True)
    ]
    if rows > 1:
        cross_x = [west]
        if cross_every:
            step = cross_every
            cross_x += [_mm(x0 + p * rack_width) for p in range(step, racks_per_row, step)]
        cross_x.append(east)
        trays += [
            Tray(
                id=f"X-{k:02d}",
                path=((x, centres[0]), (x, centres[-1])),
                width=backbone_width,
                depth=tray_depth,
                elevation=elevation,
            )
            for k, x in enumerate(cross_x, start=1)
        ]

    keepouts: tuple[KeepOut, ...] = ()
    if column_every and rows > 1:
        aisles = [
            (row_y[i] + rack_depth, row_y[i + 1]) for i in range(rows - 1)
        ]  # (south edge, north edge) of the aisle after row i
        keepouts = _columns(
            aisles,
            x0,
            length,
            column_every,
            column_size,
            rack_depth,
            hot_aisle,
            cold_aisle,
            trays,
        )

    return Floor(
        name=name,
        outline=((0.0, 0.0), (width_m, 0.0), (width_m, height_m), (0.0, height_m)),
        keepouts=keepouts,
        rows=rack_rows,
        trays=tuple(trays),
        drop_reach=drop_reach,
        power_budget_kw=hall_budget_kw,
    )


def _mm(value: float) -> float:
    """Round to the millimetre (and turn -0.0 into 0.0)."""
    return round(value, 3) + 0.0


def _aisle(index: int, hot: float, cold: float) -> float:
    """Width of the aisle after row ``index`` (0-based): hot after A, C, ...; cold after B."""
    return hot if index % 2 == 0 else cold


def _check_args(
    *,
    rows: int,
    racks_per_row: int,
    hot_aisle: float,
    cold_aisle: float,
    margin: float,
    network_positions: Sequence[int],
    network_rows: Sequence[str],
    backbone_width: float,
    cross_every: int | None,
    column_every: float | None,
    column_size: float,
) -> None:
    if not 1 <= rows <= _MAX_ROWS:
        raise ValueError(f"rows is {rows}, must be in 1..{_MAX_ROWS}")
    if not 1 <= racks_per_row <= 99:
        raise ValueError(f"racks_per_row is {racks_per_row}, must be in 1..99")
    if hot_aisle <= 0 or cold_aisle <= 0:
        raise ValueError(f"aisles are {hot_aisle} m and {cold_aisle} m, must be positive")
    if margin < backbone_width:
        raise ValueError(
            f"margin is {margin} m, must be at least backbone_width {backbone_width} m"
        )
    bad = sorted(p for p in set(network_positions) if not 1 <= p <= racks_per_row)
    if bad:
        raise ValueError(f"network_positions {bad} are outside 1..{racks_per_row}")
    if isinstance(network_rows, str):
        raise ValueError(f"network_rows must be a sequence of row ids, got {network_rows!r}")
    if cross_every is not None and cross_every < 1:
        raise ValueError(f"cross_every is {cross_every}, must be at least 1")
    if column_every is not None and column_every <= 0:
        raise ValueError(f"column_every is {column_every} m, must be positive")
    if column_every and rows > 1:
        narrowest = min(hot_aisle, cold_aisle) if rows > 2 else hot_aisle
        if column_size + 2 * _CLEARANCE > narrowest:
            raise ValueError(
                f"column_size {column_size} m does not fit in a {narrowest} m aisle "
                f"with {_CLEARANCE} m clearance on each side"
            )


def _columns(
    aisles: Sequence[tuple[float, float]],
    x0: float,
    length: float,
    every: float,
    size: float,
    rack_depth: float,
    hot: float,
    cold: float,
    trays: Sequence[Tray],
) -> tuple[KeepOut, ...]:
    """Square columns on a grid, in aisles, clear of every tray footprint."""
    pitch = rack_depth + (hot + cold) / 2
    stride = max(1, round(every / pitch))
    xs = []
    x = x0 + every / 2
    while x < x0 + length:
        xs.append(x)
        x += every
    footprints = [
        LineString(t.path).buffer(t.width / 2 + _CLEARANCE, cap_style="flat", join_style="mitre")
        for t in trays
    ]
    tree = shapely.STRtree(footprints)
    half = size / 2
    out: list[KeepOut] = []
    for i in range(0, len(aisles), stride):
        south, north = aisles[i]
        y = (south + north) / 2
        for x in xs:
            box = shapely.box(x - half, y - half, x + half, y + half)
            if len(tree.query(box, predicate="intersects")):
                continue
            corners = [
                (x - half, y - half),
                (x + half, y - half),
                (x + half, y + half),
                (x - half, y + half),
            ]
            out.append(
                KeepOut(
                    id=f"C{len(out) + 1:02d}",
                    kind="column",
                    outline=tuple((_mm(cx), _mm(cy)) for cx, cy in corners),
                )
            )
    return tuple(out)
