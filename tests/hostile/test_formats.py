"""Numbers and text in the files topo writes: fixed-decimal numbers, no formula cells, no
markup from names, in the batch files as in a plan's."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from tests.topo.outputs.test_compare import failed, ok
from topo.outputs.compare import compare_svg, summary_csv
from topo.outputs.exports import csv_text, format_decimal, spreadsheet_safe


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_decimals_are_fixed_and_read_back_within_a_thousandth(x):
    text = format_decimal(x)
    assert "e" not in text.lower()
    assert abs(float(text) - x) <= 0.0005 + 1e-12 * abs(x)


def test_large_power_totals_are_whole_figures():
    assert format_decimal(109_652.8) == "109652.8"
    assert format_decimal(1_000_000.0) == "1000000"
    assert format_decimal(12_345_678.25) == "12345678.25"


@given(st.text(max_size=20))
def test_no_text_cell_starts_a_formula(text):
    cell = spreadsheet_safe(text)
    if cell and cell[0] in "=+-@\t\r":
        float(cell)  # only a number may keep such a start


def test_csv_text_neutralises_every_cell_but_numbers():
    rows = [["=1+2", "+SUM(A1)", "-1.5", "@x", "\tx", "-x", 3, "A01"]]
    got = next(iter(csv.reader(io.StringIO(csv_text(("a",) * 8, rows).splitlines()[1]))))
    assert got == ["'=1+2", "'+SUM(A1)", "-1.5", "'@x", "'\tx", "'-x", "3", "A01"]


def test_batch_summary_and_chart_carry_hostile_variant_names_safely():
    nasty = '=cmd|"/c calc"!A1 <script>alert(1)</script>'
    results = [ok(nasty, 100, 50, values=(("floor.name", nasty),)), ok("b", 90, 60)]
    results.append(failed('-2+3 "quoted" <b>'))
    table = summary_csv(results, axes=["floor.name"])
    for row in csv.reader(io.StringIO(table)):
        for cell in row:
            if cell[:1] in ("=", "+", "@"):
                raise AssertionError(f"formula cell {cell!r}")
            if cell.startswith("-"):
                float(cell)
    svg = compare_svg(results, title=nasty)
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert nasty in "".join(root.itertext())
