"""Tests for the floor drawing: every rack and tray segment drawn, over-limit style,
highlighted routes that follow the plan's trays, labels, determinism, PNG."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from layouts.generate import regular_hall
from layouts.model import Floor, KeepOut, RackRow, Tray
from topo.errors import DrawingError
from topo.outputs.drawing import (
    MAX_DRAWN_ROUTES,
    plan_to_svg,
    png_available,
    select_cables,
    svg_to_png,
)
from topo.outputs.drawing.labels import _free_boxes, _place_rack_label
from topo.plan import Plan
from topo.planner import plan
from topo.scenario import parse_scenario

NS = "{http://www.w3.org/2000/svg}"


def hall(**kw) -> Floor:
    """Two rows of five racks, network rack in position 3, cross trays at both ends::

    X-01 #==[B01 B02 B03 B04 B05]==# X-02      == T-B
         #                         #
         #==[A01 A02 A03 A04 A05]==#           == T-A
    """
    floor = regular_hall(
        name="T1", rows=2, racks_per_row=5, network_positions=(3,), column_every=3.0, **kw
    )
    keepouts = (
        KeepOut(id="CRAH-1", kind="cooling", outline=((0.1, 0.1), (0.8, 0.1), (0.8, 0.5))),
        KeepOut(id="DOOR-1", kind="door", outline=((4.0, 0.0), (5.0, 0.0), (5.0, 0.4))),
    )
    return floor.model_copy(update={"keepouts": floor.keepouts + keepouts})


def scenario(floor: Floor, name: str = "tiny", spines: int = 2):
    return parse_scenario(
        {
            "name": name,
            "floor": floor.model_dump(),
            "servers": {"model": "srv-1u-2x25g", "per_rack": 4},
            "fabric": {
                "kind": "spine-leaf",
                "leaf": {"model": "tor-48x25g-8x100g"},
                "spine": {"model": "sw-32x100g-1u", "count": spines},
            },
        }
    )


@pytest.fixture(scope="module")
def tiny() -> Plan:
    return plan(scenario(hall()))


@pytest.fixture(scope="module")
def overfull() -> Plan:
    """The same hall with trays that may hold almost nothing: every used segment is over."""
    floor = hall()
    return plan(scenario(floor.model_copy(update={"fill_limit": 0.001}), "overfull"))


@pytest.fixture(scope="module")
def island() -> Plan:
    """Row C has a tray of its own joined to nothing: its cables cannot be routed::

    [C01 C02 C03]   T-C (an island)

    ...the tiny hall below...
    """
    floor = hall()
    row_c = RackRow(id="C", origin=(1.8, 8.0), count=3)
    tray_c = Tray(id="T-C", path=((1.8, 8.6), (3.6, 8.6)), elevation=2.55)
    x0, y0 = 0.0, 0.0
    x1 = max(p[0] for p in floor.outline)
    outline = ((x0, y0), (x1, y0), (x1, 10.0), (x0, 10.0))
    floor = floor.model_copy(
        update={"rows": (*floor.rows, row_c), "trays": (*floor.trays, tray_c), "outline": outline}
    )
    return plan(scenario(floor, "island", spines=3))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{NS}g[@id='{gid}']")
    assert found is not None, gid
    return found


def pts(el: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in el.get("points", "").split()]  # type: ignore[misc]


def centre_line(quad: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The centre line of a drawn segment (start, end) from its four corners."""
    (a, b, c, d) = quad
    mid = lambda p, q: ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)  # noqa: E731
    return mid(a, d), mid(b, c)


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


# -- the plan drawn ----------------------------------------------------------------------


def test_every_rack_and_tray_segment_is_drawn_once(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    racks = [el.get("data-rack") for el in group(root, "racks")]
    assert racks == [r.id for r in tiny.floor.racks]
    segs = [el.get("data-segment") for el in group(root, "trays")]
    assert sorted(segs) == sorted(s.id for s in tiny.pathways.segments)
    assert len(segs) == len(set(segs))


def test_racks_are_shaded_by_role_and_network_racks_by_use(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    holds_switch = {d.rack for d in tiny.placement.devices if d.role != "server"}
    for el in group(root, "racks"):
        rack = tiny.floor.rack_index[el.get("data-rack", "")]
        assert el.get("data-role") == rack.role
        if rack.role == "network":
            want = "rack-network" if rack.id in holds_switch else "rack-spare"
        else:
            want = f"rack-{rack.role}"
        assert want in classes(el), rack.id


def test_trays_are_drawn_to_scale_and_coloured_by_fill(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    scale = float(group(root, "scale-bar").get("data-metres", "0"))
    bar = [el for el in group(root, "scale-bar") if el.tag == f"{NS}rect"]
    px_per_m = sum(float(el.get("width", "0")) for el in bar) / scale
    widths = {t.id: t.width for t in tiny.floor.trays}
    fills = {f.segment.id: f for f in tiny.fills}
    for el in group(root, "trays"):
        seg = tiny.pathways.segment_index[el.get("data-segment", "")]
        a, b, c, _ = pts(el)
        assert math.dist(b, c) == pytest.approx(widths[seg.tray] * px_per_m, abs=0.02)
        assert math.dist(a, b) == pytest.approx(seg.length_mm / 1000 * px_per_m, abs=0.05)
        f = fills[seg.id]
        assert int(el.get("data-cables", "-1")) == f.cables
        bins = classes(el) & {"f0", "f1", "f2", "f3", "f4", "over"}
        assert bins == ({"f0"} if f.cables == 0 else {f"f{math.ceil(4 * f.fill / 0.4 - 1e-9)}"})


def test_over_limit_segments_are_red_hatched_framed_and_listed(overfull: Plan):
    assert overfull.overflows, "the test plan must overfill some trays"
    root = parse(plan_to_svg(overfull))
    over = {f.segment.id for f in overfull.overflows}
    drawn_over = {el.get("data-segment") for el in group(root, "trays") if "over" in classes(el)}
    assert drawn_over == over
    framed = {el.get("data-segment") for el in group(root, "over-marks")}
    assert framed == over
    listed = {
        el.get("data-segment") for el in group(root, "panel").iter() if el.get("data-segment")
    }
    assert listed <= over and len(listed) == min(12, len(over))
    svg = plan_to_svg(overfull)
    style = re.search(r"\.over\{([^}]*)\}", svg)
    assert style is not None
    assert "url(#hatch-over)" in style.group(1) and "stroke-dasharray" in style.group(1)
    assert 'id="hatch-over"' in svg


def test_within_limit_segments_are_never_drawn_over(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    assert not tiny.overflows
    assert not any("over" in classes(el) for el in group(root, "trays"))
    assert root.find(f".//{NS}g[@id='over-marks']") is None


def test_keepouts_are_drawn_by_kind(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    drawn = {el.get("data-keepout"): classes(el) for el in group(root, "keepouts")}
    assert set(drawn) == {k.id for k in tiny.floor.keepouts}
    for k in tiny.floor.keepouts:
        assert f"ko-{k.kind}" in drawn[k.id]
    kinds = {k.kind for k in tiny.floor.keepouts}
    assert kinds >= {"column", "cooling", "door"}


def test_panel_names_the_scenario_and_key_figures(tiny: Plan):
    root = parse(plan_to_svg(tiny))
    texts = " ".join(el.text or "" for el in group(root, "panel").iter(f"{NS}text"))
    s = tiny.summary
    assert "tiny" in texts
    assert f"cables: {s['cables']}" in texts
    assert f"{s['total_length_m']:,.0f} m" in texts
    assert "unrouted cables: 0" in texts
    assert root.find(f".//{NS}g[@id='north-arrow']") is not None


# -- routes ------------------------------------------------------------------------------


def _route(root: ET.Element, cable: str) -> ET.Element:
    found = root.find(f".//{NS}g[@data-cable='{cable}']")
    assert found is not None, cable
    return found


def _cross_row_cable(p: Plan):
    return next(c for c in p.cables if c.a_rack[0] != c.b_rack[0] and len(c.segments) >= 3)


def test_a_highlighted_route_passes_exactly_the_plan_segments(tiny: Plan):
    cable = _cross_row_cable(tiny)
    root = parse(plan_to_svg(tiny, cables=[cable.id]))
    route = _route(root, cable.id)
    want = [tiny.pathways.segments[i].id for i in cable.segments]
    assert route.get("data-segments", "").split() == want

    # geometrically: the route's polyline runs along each segment's centre line, in order
    drawn = {el.get("data-segment"): centre_line(pts(el)) for el in group(root, "trays")}
    line = route.find(f"{NS}polyline")
    assert line is not None
    poly = pts(line)

    def at(p: tuple[float, float]) -> int:
        hits = [i for i, q in enumerate(poly) if math.dist(p, q) < 0.02]
        assert hits, p
        return hits[0]

    last = -1
    for sid in want:
        start, end = drawn[sid]
        i, j = at(start), at(end)
        assert abs(i - j) == 1, sid  # consecutive vertices: the route runs along the piece
        assert min(i, j) >= last, sid  # and the pieces come in the plan's order
        last = min(i, j)
    # both ends are marked at their racks' centres
    rack_rects = {el.get("data-rack"): el for el in group(root, "racks")}
    for end, rack in (("a", cable.a_rack), ("b", cable.b_rack)):
        mark = route.find(f".//{NS}*[@data-end='{end}']")
        assert mark is not None and mark.get("data-rack") == rack
        r = rack_rects[rack]
        cx = float(r.get("x", "0")) + float(r.get("width", "0")) / 2
        cy = float(r.get("y", "0")) + float(r.get("height", "0")) / 2
        assert math.dist(poly[0 if end == "a" else -1], (cx, cy)) < 0.02


def test_highlighting_dims_the_trays_and_keeps_the_rest(tiny: Plan):
    cable = _cross_row_cable(tiny)
    root = parse(plan_to_svg(tiny, cables=[cable.id]))
    assert "dimmed" in classes(group(root, "trays"))
    assert len(list(group(root, "racks"))) == len(tiny.floor.racks)
    assert "dimmed" not in classes(group(parse(plan_to_svg(tiny)), "trays"))


def test_rack_and_tier_options_combine(tiny: Plan):
    picked = select_cables(tiny, rack="A01", tier="leaf-spine")
    want = [c.id for c in tiny.cables if c.tier == "leaf-spine" and "A01" in (c.a_rack, c.b_rack)]
    assert [c.id for c in picked] == sorted(want) and want
    root = parse(plan_to_svg(tiny, rack="A01", tier="leaf-spine"))
    assert sorted(el.get("data-cable") for el in group(root, "routes")) == sorted(want)
    picked_rack = [el for el in group(root, "racks") if "rack-picked" in classes(el)]
    assert [el.get("data-rack") for el in picked_rack] == ["A01"]


def test_a_large_selection_shades_the_segments_it_uses(tiny: Plan):
    cables = select_cables(tiny, tier="leaf-spine")
    assert len(cables) > MAX_DRAWN_ROUTES
    routes = group(parse(plan_to_svg(tiny, tier="leaf-spine")), "routes")
    used: dict[str, int] = {}
    for c in cables:
        for i in c.segments:
            sid = tiny.pathways.segments[i].id
            used[sid] = used.get(sid, 0) + 1
    shaded = {
        el.get("data-segment"): int(el.get("data-cables", "0"))
        for el in routes
        if "sel-seg" in classes(el)
    }
    assert shaded == used
    ends = {(el.get("data-end"), el.get("data-rack")) for el in routes if el.get("data-end")}
    assert ends == {("a", c.a_rack) for c in cables} | {("b", c.b_rack) for c in cables}


def test_unknown_options_are_errors_naming_each(tiny: Plan):
    with pytest.raises(DrawingError) as err:
        plan_to_svg(tiny, cables=["C999999"], rack="Z99", tier="spine-core")
    text = str(err.value)
    assert "'C999999'" in text and "'Z99'" in text and "'spine-core'" in text
    assert "leaf-spine" in text  # the tiers the plan does have
    assert len(err.value.problems) == 3


def test_an_empty_selection_is_drawn_not_refused(tiny: Plan):
    # the network rack holds spines only: it has no server-leaf cables
    root = parse(plan_to_svg(tiny, rack="A03", tier="server-leaf"))
    assert group(root, "routes").get("data-cables") == "0"


def test_unrouted_cables_are_drawn_as_dashed_lines(island: Plan):
    unrouted = [c for c in island.cables if c.status == "unrouted"]
    assert unrouted
    root = parse(plan_to_svg(island))
    drawn = {
        el.get("data-racks"): int(el.get("data-cables", "0")) for el in group(root, "unrouted")
    }
    assert sum(drawn.values()) == len(unrouted)
    root = parse(plan_to_svg(island, cables=[unrouted[0].id]))
    route = _route(root, unrouted[0].id)
    assert "route-unrouted" in classes(route) and route.get("data-segments") == ""


# -- labels ------------------------------------------------------------------------------


def test_free_boxes_avoid_the_tray_across_a_rack():
    # a rack 20 x 40 px with a tray across its middle (y 15..25)
    boxes = _free_boxes((0, 0, 20, 40), [(-5, 15, 25, 25)])
    assert (0, 0, 20, 15) in boxes and (0, 25, 20, 40) in boxes
    assert all(not (b[1] < 25 and b[3] > 15) for b in boxes)
    # a cross tray over one side too: the free corner remains
    boxes = _free_boxes((0, 0, 20, 40), [(-5, 15, 25, 25), (10, -5, 30, 45)])
    assert (0, 0, 10, 15) in boxes and (0, 25, 10, 40) in boxes
    assert _free_boxes((0, 0, 20, 40), [(-1, -1, 21, 41)]) == []


def test_rack_label_prefers_the_id_then_the_position_then_a_halo():
    roomy = _place_rack_label((0, 0, 40, 80), [(-5, 35, 45, 45)], "A01", "01")
    assert roomy is not None and roomy.text == "A01" and not roomy.halo
    assert roomy.y < 35 or roomy.y > 45
    tight = _place_rack_label((0, 0, 14, 28), [(-5, 11, 19, 17)], "A01", "01")
    assert tight is not None and tight.text == "01"
    covered = _place_rack_label((0, 0, 40, 80), [(-5, -5, 45, 85)], "A01", "01")
    assert covered is not None and covered.halo and covered.text == "A01"
    assert _place_rack_label((0, 0, 3, 6), [], "A01", "01") is None


def _rack_label_texts(root: ET.Element) -> dict[str, str]:
    return {el.get("data-rack", ""): el.text or "" for el in group(root, "rack-labels")}


def test_racks_are_labelled_with_their_ids_when_there_is_room(tiny: Plan):
    labels = _rack_label_texts(parse(plan_to_svg(tiny)))
    assert {k: v for k, v in labels.items() if k} == {r.id: r.id for r in tiny.floor.racks}


def test_small_racks_get_position_numbers_and_row_end_ids(tiny: Plan):
    root = parse(plan_to_svg(tiny, px_per_m=24))
    labels = _rack_label_texts(root)
    assert any(v.isdigit() for v in labels.values())
    ends = {el.get("data-row-end") for el in group(root, "rack-labels") if el.get("data-row-end")}
    assert {"A01", "A05"} <= ends
    # tiny drawings drop rack labels rather than letting them spill out of the racks
    root = parse(plan_to_svg(tiny, px_per_m=5))
    assert not [el for el in group(root, "rack-labels") if el.get("data-rack")]


def test_rack_labels_stay_inside_their_racks(tiny: Plan):
    for scale in (24, 60, 100):
        root = parse(plan_to_svg(tiny, px_per_m=scale))
        rects = {el.get("data-rack"): el for el in group(root, "racks")}
        for el in group(root, "rack-labels"):
            rid = el.get("data-rack")
            if not rid:
                continue
            r = rects[rid]
            x, y = float(el.get("x", "0")), float(el.get("y", "0"))
            rx, ry = float(r.get("x", "0")), float(r.get("y", "0"))
            assert rx <= x <= rx + float(r.get("width", "0")), rid
            assert ry <= y <= ry + float(r.get("height", "0")) + float(el.get("font-size", "0"))


# -- output properties -----------------------------------------------------------------


def test_same_plan_same_bytes(tiny: Plan):
    again = plan(tiny.scenario)
    cable = _cross_row_cable(tiny).id
    assert plan_to_svg(tiny) == plan_to_svg(again)
    assert plan_to_svg(tiny, cables=[cable]) == plan_to_svg(again, cables=[cable])
    assert plan_to_svg(tiny, cables=[cable, cable]) == plan_to_svg(tiny, cables=[cable])


def test_numbers_are_short_and_never_negative_zero(tiny: Plan):
    svg = plan_to_svg(tiny)
    assert "-0 " not in svg and '"-0"' not in svg and ",-0 " not in svg
    coords = re.findall(r' (?:x|y|x1|y1|x2|y2|cx|cy|r|width|height|points)="([^"]*)"', svg)
    assert coords
    assert not [c for c in coords if re.search(r"\.\d{3}|-0(?![.\d])", c)]


def test_names_are_escaped():
    floor = hall()
    floor = floor.model_copy(update={"name": 'Hall <1> & "2"'})
    p = plan(scenario(floor))
    root = parse(plan_to_svg(p))  # would not parse if unescaped
    assert group(root, "room")[0].get("data-floor") == 'Hall <1> & "2"'


def test_ids_with_markup_characters_are_escaped_everywhere_they_are_drawn():
    """A tray, a keep-out and the floor named with ``<&"'>``: the raw names never appear in
    the drawing, plain or highlighted, and every place that shows them reads them back."""
    nasty = "<&\"'>"
    floor = hall()
    trays = tuple(
        t.model_copy(update={"id": f"T{nasty}{t.id}"}) if t.id == "T-A" else t for t in floor.trays
    )
    keepouts = tuple(k.model_copy(update={"id": f"K{nasty}{k.id}"}) for k in floor.keepouts)
    floor = floor.model_copy(update={"name": f"F{nasty}", "trays": trays, "keepouts": keepouts})
    p = plan(scenario(floor, "nasty"))
    for svg in (plan_to_svg(p), plan_to_svg(p, rack="A01"), plan_to_svg(p, tier="leaf-spine")):
        assert nasty not in svg
        root = parse(svg)
        seen = [v for el in root.iter() for v in (*el.attrib.values(), el.text) if v]
        assert f"F{nasty}" in seen
        assert any(v.startswith(f"T{nasty}T-A.") for v in seen)  # segment ids of the tray
        assert f"T{nasty}T-A" in seen  # data-tray
        assert {f"K{nasty}{k.id}" for k in hall().keepouts} <= set(seen)


def test_png_rendering(tiny: Plan):
    if not png_available():
        pytest.skip("the png extra is not installed")
    png = svg_to_png(plan_to_svg(tiny))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    svg_width = float(parse(plan_to_svg(tiny)).get("width", "0"))
    assert width == round(svg_width)


def test_png_without_the_extra_is_a_clear_error(tiny: Plan, monkeypatch: pytest.MonkeyPatch):
    import sys

    monkeypatch.setitem(sys.modules, "resvg_py", None)
    with pytest.raises(DrawingError, match=r"topo\[png\]"):
        svg_to_png(plan_to_svg(tiny))
