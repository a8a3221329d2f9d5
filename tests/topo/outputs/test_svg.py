"""Tests for the SVG writer every drawing and chart goes through: escaping, numbers,
attribute order, element shapes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from topo.outputs.svg import PX, Svg

NASTY = "A<&\"'>01"
NS = "{http://www.w3.org/2000/svg}"


def test_text_attributes_and_titles_are_escaped_and_read_back_unchanged():
    svg = PX.document(
        10,
        10,
        [
            PX.el("rect", title=NASTY, data_rack=NASTY, class_=NASTY, width=1),
            PX.el("text", text=NASTY, x=1),
            *PX.group([PX.el("circle", r=1)], id=NASTY),
            *PX.group([], title=NASTY, data_cable=NASTY),
        ],
    )
    assert NASTY not in svg
    assert svg.count("A&lt;&amp;&quot;&#x27;&gt;01") == 7
    root = ET.fromstring(svg)
    rect, text, g, g2 = list(root)
    assert rect.get("data-rack") == rect.get("class") == NASTY
    assert rect.findtext(f"{NS}title") == NASTY
    assert text.text == NASTY
    assert g.get("id") == NASTY and g2.get("data-cable") == NASTY
    assert g2.findtext(f"{NS}title") == NASTY


def _xml_char(c: str) -> bool:
    """Whether XML 1.0 may hold the character (its ``Char`` production)."""
    o = ord(c)
    return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o > 0xFFFF


@given(st.text(alphabet=st.characters(blacklist_characters="\t\n\r")))
def test_any_text_makes_well_formed_xml_and_comes_back(text: str):
    root = ET.fromstring(PX.el("text", text=text, data_id=text))
    kept = "".join(c if _xml_char(c) else "\ufffd" for c in text)
    assert root.get("data-id") == kept
    assert (root.text or "") == kept


def test_attributes_keep_their_order_names_and_leave_out_none():
    el = PX.el("text", text="N", z=1, class_="a", data_a_rack="A01", x=None, text_anchor="end")
    assert el == '<text z="1" class="a" data-a-rack="A01" text-anchor="end">N</text>'
    assert PX.el("rect", x=0) == '<rect x="0"/>'
    assert PX.el("g", PX.el("path", d="M 0 0"), id="n") == '<g id="n"><path d="M 0 0"/></g>'
    assert PX.group(["<a/>"], id="x") == ['<g id="x">', "<a/>", "</g>"]
    assert PX.group([], title="t", id=None) == ["<g><title>t</title>", "</g>"]


def test_px_numbers_are_short_and_never_negative_zero():
    assert [PX.num(v) for v in (3, 3.0, -0.001, 12.3456, 0.1 + 0.2, -2.5, 1e-9)] == [
        "3", "3", "0", "12.35", "0.3", "-2.5", "0"
    ]  # fmt: skip
    assert PX.points([(0.0, 1.234), (-0.004, 5)]) == "0,1.23 0,5"
    shapes = np.array([[[1.0, -0.001], [2.345678, 7.5]], [[0, 0], [1, 1]]])
    assert PX.points_array(shapes) == ["1,0 2.35,7.5", "0,0 1,1"]
    assert PX.points_array(np.zeros((0, 4, 2))) == []


def test_fixed_numbers_keep_their_decimals_and_integers_stay_integers():
    one = Svg(decimals=1, trim=False)
    assert [one.num(v) for v in (96, 96.0, 2.25, -0.04)] == ["96", "96.0", "2.2", "-0.0"]
    assert one.el("line", x1=96.0, y1=70) == '<line x1="96.0" y1="70"/>'


def test_a_document_is_sized_in_its_own_numbers():
    doc = PX.document(100.0, 50.125, ["<g/>"], font_size=11)
    assert doc == (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50.12" '
        'viewBox="0 0 100 50.12" font-size="11">\n<g/>\n</svg>\n'
    )
