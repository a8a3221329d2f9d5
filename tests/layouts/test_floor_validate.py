"""Tests for floor validation: one test per failure mode, on small hand-made floors."""

from __future__ import annotations

import pytest

from layouts.errors import LayoutError, Problem
from layouts.generate import regular_hall
from layouts.model import Floor, KeepOut, RackRow, Tray
from layouts.validate import check_floor, serving_tray, serving_trays, validate_floor

ROOM = ((0.0, 0.0), (8.0, 0.0), (8.0, 5.0), (0.0, 5.0))


def square(x: float, y: float, side: float) -> tuple[tuple[float, float], ...]:
    return ((x, y), (x + side, y), (x + side, y + side), (x, y + side))


def small_floor(**update: object) -> Floor:
    """One row of three racks under one tray, in an 8 x 5 m room::

    +--------------------------------+ y=5
    |                                |
    |   ==========T-A==========      |   T-A at y=1.6, x 1..2.8, elevation 2.7
    |   [A01][A02][A03]              |   racks 0.6 x 1.2 from (1, 1), top 2.23
    +--------------------------------+ y=0
    """
    base = Floor(
        name="T",
        outline=ROOM,
        rows=(RackRow(id="A", origin=(1.0, 1.0), count=3),),
        trays=(Tray(id="T-A", path=((1.0, 1.6), (2.8, 1.6))),),
    )
    return base.model_copy(update=update)


def messages(floor: Floor) -> list[str]:
    return [str(p) for p in validate_floor(floor)]


def test_small_floor_is_clean():
    assert validate_floor(small_floor()) == []
    floor = small_floor()
    assert check_floor(floor) is floor


# -- outline and keep-outs --------------------------------------------------------------


def test_outline_with_two_points():
    """Fewer than three points make no room; room checks are skipped, not crashed."""
    problems = validate_floor(small_floor(outline=((0, 0), (8, 0))))
    assert [p.location for p in problems] == ["floor.outline"]
    assert "has 2 points, needs at least 3" in problems[0].message


def test_outline_self_intersecting():
    """A bow tie::

        +--+
         \\/
         /\\
        +--+
    """
    bowtie = ((0, 0), (8, 5), (8, 0), (0, 5))
    problems = validate_floor(small_floor(outline=bowtie))
    assert problems[0].location == "floor.outline"
    assert "not a simple polygon" in problems[0].message
    with pytest.raises(LayoutError, match="room outline is not a simple polygon"):
        check_floor(small_floor(outline=bowtie))


def test_outline_zero_area():
    problems = validate_floor(small_floor(outline=((0, 0), (4, 0), (8, 0))))
    assert [(p.location, p.message) for p in problems] == [
        ("floor.outline", "room outline has zero area")
    ]


def test_keepout_invalid():
    ko = KeepOut(id="C1", outline=((5, 1), (6, 2), (6, 1), (5, 2)))
    with pytest.raises(LayoutError, match="keep-out 'C1' is not a simple polygon"):
        check_floor(small_floor(keepouts=(ko,)))


def test_keepout_with_two_points():
    ko = KeepOut(id="C1", outline=((5, 1), (6, 2)))
    problems = validate_floor(small_floor(keepouts=(ko,)))
    assert [p.location for p in problems] == ["floor.keepouts.C1"]


def test_keepout_outside_room():
    """Column C9 straddles the east wall::

    ---------------+
                [C9]
    ---------------+
    """
    ko = KeepOut(id="C9", outline=square(7.8, 2.0, 0.4))
    problems = validate_floor(small_floor(keepouts=(ko,)))
    assert [p.location for p in problems] == ["floor.keepouts.C9"]
    assert problems[0].message == "keep-out 'C9' is not inside the room (0.08 m² outside)"


def test_keepout_on_the_wall_is_inside():
    ko = KeepOut(id="CRAH", kind="cooling", outline=((7.0, 2.0), (8.0, 2.0), (8.0, 3.0), (7, 3)))
    assert validate_floor(small_floor(keepouts=(ko,))) == []


# -- racks ------------------------------------------------------------------------------


def test_rack_outside_room():
    """Row A runs through the east wall::

    ----------------+
      [A01][A02][A0|3]
    ----------------+
    """
    row = RackRow(id="A", origin=(6.9, 1.0), count=3)
    tray = Tray(id="T-A", path=((6.9, 1.6), (8.0, 1.6)))
    problems = validate_floor(small_floor(rows=(row,), trays=(tray,)))
    assert [p.location for p in problems] == ["floor.racks.A02", "floor.racks.A03"]
    assert problems[1].message == "rack 'A03' is not inside the room (0.72 m² outside)"
    with pytest.raises(LayoutError, match="A03"):
        check_floor(small_floor(rows=(row,), trays=(tray,)))


def test_rack_in_notch_of_l_shaped_room():
    """An L-shaped room whose missing corner holds rack A03::

    +------+
    |      |
    |      +------+
    | [A01][A02][A03]     A03 sticks out of the notch
    +-------------+
    """
    ell = ((0, 0), (2.5, 0), (2.5, 1.5), (8, 1.5), (8, 5), (0, 5))
    row = RackRow(id="A", origin=(1.0, 0.2), count=3)
    tray = Tray(id="T-A", path=((1.0, 0.8), (2.5, 0.8)))
    problems = validate_floor(small_floor(outline=ell, rows=(row,), trays=(tray,)))
    assert [p.location for p in problems] == ["floor.racks.A03"]


def test_rack_overlaps_keepout():
    """Column C3 (0.4 m square) stands on the joint of A02 and A03::

    ====T-A========
    [A01][A0[C3]03]
    """
    ko = KeepOut(id="C3", outline=square(2.0, 1.0, 0.4))
    problems = validate_floor(small_floor(keepouts=(ko,)))
    assert [str(p) for p in problems] == [
        "floor.racks.A02: rack 'A02' overlaps keep-out 'C3' (column) by 0.08 m²",
        "floor.racks.A03: rack 'A03' overlaps keep-out 'C3' (column) by 0.08 m²",
    ]
    assert problems[0].value == pytest.approx(0.08)


def test_rack_overlaps_cooling_unit():
    ko = KeepOut(id="CRAH-1", kind="cooling", outline=square(1.1, 1.1, 0.3))
    with pytest.raises(LayoutError, match=r"rack 'A01' overlaps keep-out 'CRAH-1' \(cooling\)"):
        check_floor(small_floor(keepouts=(ko,)))


def test_racks_overlap_each_other():
    """Row B starts 0.4 m into row A (same line)::

    [A01][A02][A0[B01]3][B02]
    """
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3),
        RackRow(id="B", origin=(2.4, 1.0), count=2),
    )
    tray = Tray(id="T-A", path=((1.0, 1.6), (4.0, 1.6)))
    problems = validate_floor(small_floor(rows=rows, trays=(tray,)))
    assert [str(p) for p in problems] == [
        "floor.racks.A03: rack 'A03' overlaps rack 'B01' by 0.48 m²",
    ]


def test_racks_touching_back_to_back_are_fine():
    """Rows A and B stand back to back, sharing an edge::

    [B01][B02][B03]
    [A01][A02][A03]   T-A runs along the shared edge
    """
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3),
        RackRow(id="B", origin=(1.0, 2.2), count=3),
    )
    tray = Tray(id="T-A", path=((1.0, 2.2), (2.8, 2.2)))
    assert validate_floor(small_floor(rows=rows, trays=(tray,))) == []


def test_rack_rows_along_y_with_gaps():
    rows = (RackRow(id="A", origin=(1.0, 0.5), direction="y", count=5, gap=0.1),)
    tray = Tray(id="T-A", path=((1.6, 0.5), (1.6, 4.0)))
    assert validate_floor(small_floor(rows=rows, trays=(tray,))) == []


# -- trays -------------------------------------------------------------------------------


def test_tray_leaves_room():
    """T-A runs 1.2 m past the east wall::

    ---------------+
    ==========T-A==|====
    ---------------+
    """
    tray = Tray(id="T-A", path=((1.0, 1.6), (9.2, 1.6)))
    problems = validate_floor(small_floor(trays=(tray,)))
    assert [str(p) for p in problems] == [
        "floor.trays.T-A: tray 'T-A' leaves the room for 1.20 m",
    ]


def test_tray_on_the_wall_is_inside():
    """A tray may run along the wall line (its centre line on the boundary)."""
    wall = Tray(id="T-W", path=((0.0, 0.0), (8.0, 0.0), (8.0, 5.0)))
    floor = small_floor(trays=(*small_floor().trays, wall))
    assert validate_floor(floor) == []


def test_tray_crosses_column():
    """T-A passes over column C1 beyond the row's end::

    ==========T-A====[C1]====
    [A01][A02][A03]
    """
    ko = KeepOut(id="C1", outline=square(4.0, 1.4, 0.4))
    tray = Tray(id="T-A", path=((1.0, 1.6), (6.0, 1.6)))
    problems = validate_floor(small_floor(keepouts=(ko,), trays=(tray,)))
    assert [p.location for p in problems] == ["floor.trays.T-A"]
    assert problems[0].message == "tray 'T-A' (width 0.30 m) crosses column 'C1' for 0.70 m"


def test_tray_edge_grazing_column():
    """The tray's centre line misses C1 but its 0.6 m width does not."""
    ko = KeepOut(id="C1", outline=square(4.0, 1.8, 0.4))  # 0.2 m north of the centre line
    tray = Tray(id="T-A", path=((1.0, 1.6), (6.0, 1.6)), width=0.6)
    with pytest.raises(LayoutError, match="crosses column 'C1'"):
        check_floor(small_floor(keepouts=(ko,), trays=(tray,)))
    narrow = tray.model_copy(update={"width": 0.3})
    assert validate_floor(small_floor(keepouts=(ko,), trays=(narrow,))) == []


@pytest.mark.parametrize("kind", ["cooling", "door", "other"])
def test_tray_over_other_keepouts_is_fine(kind):
    ko = KeepOut(id="K", kind=kind, outline=square(4.0, 1.4, 0.4))
    tray = Tray(id="T-A", path=((1.0, 1.6), (6.0, 1.6)))
    assert validate_floor(small_floor(keepouts=(ko,), trays=(tray,))) == []


def test_tray_below_rack_top():
    """T-A hangs at 2.0 m, below the 2.23 m tops of the racks it serves."""
    tray = Tray(id="T-A", path=((1.0, 1.6), (2.8, 1.6)), elevation=2.0)
    problems = validate_floor(small_floor(trays=(tray,)))
    assert [str(p) for p in problems] == [
        "floor.trays.T-A: tray 'T-A' at elevation 2.00 m is below the top of rack 'A01' "
        "at 2.23 m and 2 more",
    ]


def test_low_tray_passing_over_rack_it_does_not_serve():
    """Low tray X-LOW crosses over A03 although T-A serves every rack::

    ====T-A====     |  X-LOW (elevation 1.0) crosses A03 from south to north
    [A01][A02][A0|3]
    """
    low = Tray(id="X-LOW", path=((2.5, 0.2), (2.5, 3.0)), elevation=1.0)
    problems = validate_floor(small_floor(trays=(*small_floor().trays, low)))
    assert [p.location for p in problems] == ["floor.trays.X-LOW"]
    assert "rack 'A03'" in problems[0].message


def test_low_tray_serving_no_rack_is_fine():
    low = Tray(id="X-LOW", path=((5.0, 3.0), (7.0, 3.0)), elevation=1.0)
    assert validate_floor(small_floor(trays=(*small_floor().trays, low))) == []


def test_tray_with_zero_length():
    dot = Tray(id="T-0", path=((5.0, 3.0), (5.0, 3.0)))
    problems = validate_floor(small_floor(trays=(*small_floor().trays, dot)))
    assert [str(p) for p in problems] == ["floor.trays.T-0: tray 'T-0' has zero length"]


# -- ids and row positions --------------------------------------------------------------


def test_duplicate_ids():
    """Two rows 'A' (their racks repeat too, but only the row is reported), two trays
    'T-A', two keep-outs 'K'."""
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3),
        RackRow(id="A", origin=(1.0, 3.0), count=3),
    )
    trays = (
        Tray(id="T-A", path=((1.0, 1.6), (2.8, 1.6))),
        Tray(id="T-A", path=((1.0, 3.6), (2.8, 3.6))),
    )
    keepouts = (
        KeepOut(id="K", kind="door", outline=square(6, 0, 0.5)),
        KeepOut(id="K", kind="door", outline=square(6, 4, 0.5)),
    )
    problems = validate_floor(small_floor(rows=rows, trays=trays, keepouts=keepouts))
    assert [str(p) for p in problems] == [
        "floor.keepouts.K: keep-out id 'K' is used 2 times",
        "floor.rows.A: row id 'A' is used 2 times",
        "floor.trays.T-A: tray id 'T-A' is used 2 times",
    ]


def test_roles_and_skip_outside_row():
    row = RackRow(
        id="A", origin=(1.0, 1.0), count=3, roles={4: "network", 2: "network"}, skip=(0, 3, 7)
    )
    problems = validate_floor(small_floor(rows=(row,)))
    assert [str(p) for p in problems] == [
        "floor.rows.A.roles: row 'A' gives a role to position 4, outside 1..3",
        "floor.rows.A.skip: row 'A' skips position 0, outside 1..3",
        "floor.rows.A.skip: row 'A' skips position 7, outside 1..3",
    ]
    assert problems[0].value == 4


# -- service ----------------------------------------------------------------------------


def test_rack_without_tray_in_reach():
    """Row B stands 2.3 m from the nearest tray::

    [B01][B02]
                            (2.3 m)
    ===T-A===
    [A01][A02][A03]
    """
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3),
        RackRow(id="B", origin=(1.0, 3.3), count=2),
    )
    problems = validate_floor(small_floor(rows=rows))
    assert [str(p) for p in problems] == [
        "floor.racks.B01: rack 'B01' has no tray within 1.5 m (nearest 'T-A' at 2.30 m)",
        "floor.racks.B02: rack 'B02' has no tray within 1.5 m (nearest 'T-A' at 2.30 m)",
    ]
    assert problems[0].value == pytest.approx(2.3)
    with pytest.raises(LayoutError, match="B01"):
        check_floor(small_floor(rows=rows))


def test_floor_without_trays():
    problems = validate_floor(small_floor(trays=()))
    assert len(problems) == 3
    assert problems[0].message == "rack 'A01' has no tray within 1.5 m (the floor has no trays)"


def test_empty_racks_need_no_tray():
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3),
        RackRow(id="B", origin=(1.0, 3.3), count=2, role="empty"),
    )
    assert validate_floor(small_floor(rows=rows)) == []


def test_drop_reach_is_the_floors():
    rows = (RackRow(id="A", origin=(1.0, 1.0), count=3),)
    tray = Tray(id="T-A", path=((1.0, 3.6), (2.8, 3.6)))  # 2.0 m from the rack centres
    assert len(validate_floor(small_floor(rows=rows, trays=(tray,)))) == 3
    assert validate_floor(small_floor(rows=rows, trays=(tray,), drop_reach=2.0)) == []


def test_serving_tray_prefers_nearest_then_lower_id():
    """Trays T-B and T-A run at the same distance on either side of row A; T-C further::

    ====T-B====
    [A01][A02][A03]
    ====T-A====
                     ====T-C==== (far)
    """
    trays = (
        Tray(id="T-B", path=((1.0, 2.4), (2.8, 2.4))),
        Tray(id="T-A", path=((1.0, 0.8), (2.8, 0.8))),
        Tray(id="T-C", path=((1.0, 3.0), (2.8, 3.0))),
    )
    floor = small_floor(trays=trays)
    got = {r: (t.id, round(d, 3)) for r, (t, d) in serving_trays(floor).items()}
    assert got == {"A01": ("T-A", 0.8), "A02": ("T-A", 0.8), "A03": ("T-A", 0.8)}
    tray, dist = serving_tray(floor, "A02")
    assert (tray.id, round(dist, 3)) == ("T-A", 0.8)
    assert serving_tray(floor, floor.rack_index["A01"])[0].id == "T-A"
    far = small_floor(trays=(Tray(id="T-F", path=((5, 4.5), (7, 4.5))),))
    assert serving_tray(far, "A01") is None
    assert serving_trays(far) == {}


# -- everything at once -----------------------------------------------------------------


def test_every_problem_is_reported_sorted():
    """A floor with five different faults reports all five, sorted by location."""
    rows = (
        RackRow(id="A", origin=(1.0, 1.0), count=3, skip=(9,)),
        RackRow(id="B", origin=(7.5, 3.3), count=2),
    )
    ko = KeepOut(id="C1", outline=square(1.1, 1.1, 0.3))
    trays = (
        Tray(id="T-A", path=((1.0, 1.6), (2.8, 1.6)), elevation=2.0),
        Tray(id="T-Z", path=((4.0, 4.0), (9.0, 4.0))),
    )
    problems = validate_floor(small_floor(rows=rows, keepouts=(ko,), trays=trays))
    locations = [p.location for p in problems]
    assert locations == sorted(locations)
    assert set(locations) == {
        "floor.racks.A01",
        "floor.racks.B01",
        "floor.racks.B02",
        "floor.rows.A.skip",
        "floor.trays.T-A",
        "floor.trays.T-Z",
    }
    assert all(isinstance(p, Problem) for p in problems)
    with pytest.raises(LayoutError) as info:
        check_floor(small_floor(rows=rows, keepouts=(ko,), trays=trays))
    assert list(info.value.problems) == problems


def test_validation_is_deterministic():
    floor = small_floor(trays=())
    assert validate_floor(floor) == validate_floor(floor)


def test_large_generated_hall_validates_cleanly():
    """5,120 racks with columns and cross trays (the benchmark size) validate cleanly."""
    floor = regular_hall(
        rows=64, racks_per_row=80, cross_every=8, column_every=7.2, network_positions=(40, 41)
    )
    assert len(floor.racks) == 5120
    assert validate_floor(floor) == []
