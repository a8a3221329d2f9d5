"""Tests for comparing variants: Pareto front, summary table and the chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from topo.outputs.compare import VariantResult, compare_svg, pareto_front, summary_table

SVG = "{http://www.w3.org/2000/svg}"


def ok(name: str, cost: float, power: float, *, media=None, values=()) -> VariantResult:
    summary = {
        "cost_usd": cost,
        "optics_power_w": power,
        "total_length_m": 100.0,
        "lower_bound_length_m": 90.0,
        "max_tray_fill": 0.25,
        "cables": 10,
        "unrouted": 0,
        "cables_by_media": media or {"dac-25g": 10},
        "devices": {"leaf": 2, "server": 8, "spine": 1},
        "solver": {"gap": 0.1111},
    }
    return VariantResult(name, values, "ok", summary, seconds=0.5)


def failed(name: str) -> VariantResult:
    return VariantResult(name, (), "failed", error="FabricError: too few ports")


def test_pareto_front_keeps_only_unbeaten_variants():
    results = [
        ok("cheap", 100, 50),
        ok("frugal", 200, 10),
        ok("middle", 150, 30),
        ok("beaten", 160, 40),  # middle is cheaper and lower power
        ok("twin", 150, 30),  # ties middle on both: neither beats the other
        failed("broken"),
    ]
    front = [r.name for r in pareto_front(results, "cost_usd", "optics_power_w")]
    assert front == ["cheap", "middle", "twin", "frugal"]


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=25))
def test_pareto_front_matches_its_definition(points):
    results = [ok(f"v{i:02}", c, p) for i, (c, p) in enumerate(points)]
    front = {r.name for r in pareto_front(results, "cost_usd", "optics_power_w")}

    def beaten(i: int) -> bool:
        c, p = points[i]
        return any(c2 <= c and p2 <= p and (c2, p2) != (c, p) for c2, p2 in points)

    assert front == {f"v{i:02}" for i in range(len(points)) if not beaten(i)}


def test_summary_table_sorts_marks_and_spreads_media():
    results = [
        ok("b", 300, 5, media={"aoc-100g": 2, "dac-25g": 8}, values=(("servers.per_rack", "8"),)),
        failed("c"),
        ok("a", 100, 50, values=(("servers.per_rack", "4"),)),
    ]
    header, rows = summary_table(results, axes=["servers.per_rack"], sort="cost_usd")
    assert header[:4] == ["variant", "servers.per_rack", "status", "pareto"]
    assert header.index("cables.aoc-100g") == header.index("unrouted") + 1
    assert [r[0] for r in rows] == ["a", "b", "c"]
    col = {h: i for i, h in enumerate(header)}
    assert rows[0][col["pareto"]] == rows[1][col["pareto"]] == "yes"
    assert rows[1][col["cables.aoc-100g"]] == "2" and rows[0][col["cables.aoc-100g"]] == "0"
    assert rows[0][col["gap"]] == "0.111" and rows[0][col["devices"]] == "11"
    assert rows[0][col["switches"]] == "3"
    assert rows[2][col["status"]] == "failed" and rows[2][col["cost_usd"]] == ""
    assert rows[2][col["error"]] == "FabricError: too few ports"
    assert all(len(r) == len(header) for r in rows)
    _, rows = summary_table(results, axes=[], sort="-optics_power_w")
    assert [r[0] for r in rows] == ["a", "b", "c"]
    _, rows = summary_table(results, axes=[], sort="variant")
    assert [r[0] for r in rows] == ["a", "b", "c"]


def test_chart_is_well_formed_deterministic_and_readable():
    results = [ok(f"v{i}", 1000 * (i + 1), 100 - 7 * i + (i % 3) * 20) for i in range(8)]
    results.append(failed("broken"))
    svg = compare_svg(results, title="demo")
    assert svg == compare_svg(list(results), title="demo")
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "demo: cost (USD) against optics power (W)" in texts
    assert "cost (USD)" in texts and "optics power (W)" in texts
    assert any(t.startswith("$") and t.endswith("k") for t in texts)  # ticks with units
    front = {r.name for r in pareto_front(results, "cost_usd", "optics_power_w")}
    assert front <= set(texts)  # every front point is labelled
    assert "not planned (1):" in texts
    assert any(t.startswith("broken [failed]: FabricError") for t in texts)
    circles = list(root.iter(f"{SVG}circle"))
    assert len([c for c in circles if c.get("fill") == "#d9480f"]) == len(front) + 1  # + legend
    assert root.find(f"{SVG}polyline") is not None  # the front is connected


def test_chart_with_nothing_planned_still_draws():
    root = ET.fromstring(compare_svg([failed("a")], x="max_tray_fill", y="cables"))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "no variant was planned" in texts
    assert "max tray fill (%)" in texts


def test_chart_escapes_names_titles_and_errors():
    nasty = "<&\"'>"
    results = [ok(f"a{nasty}", 1, 2), ok(f"b{nasty}", 2, 1), failed(f"c{nasty}")]
    results[2] = VariantResult(f"c{nasty}", (), "failed", error=f"bad {nasty}")
    svg = compare_svg(results, title=f"t{nasty}")
    assert nasty not in svg
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert f"a{nasty}" in texts and f"b{nasty}" in texts
    assert f"t{nasty}: cost (USD) against optics power (W)" in texts
    assert f"c{nasty} [failed]: bad {nasty}" in texts
    tips = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(t.startswith(f"a{nasty}\n") for t in tips)
