"""Writing SVG: elements, attributes, escaping and number formatting, each done once.

Every SVG topo writes (the floor drawing, the batch comparison chart) goes through an
:class:`Svg` writer, so that:

1. every text and attribute value is escaped for XML (:func:`esc`): a user's id such as
   ``T"><script>`` comes out as inert text;
2. every number is written the same way: :data:`PX` (the drawing) rounds to two decimals
   and drops trailing zeros (``12.5``, ``3``, never ``-0``), ``Svg(decimals=1, trim=False)``
   (the chart) writes one decimal always; integers are written as they are;
3. attributes come out in the order given, their names spelled in Python with ``_`` for
   ``-`` (``data_rack`` is ``data-rack``, ``class_`` is ``class``), and ``None`` values
   left out, so the same call always gives the same bytes.

Example:
    >>> PX.el("rect", class_="rack", data_rack='A"1', x=3.0, width=0.125)
    '<rect class="rack" data-rack="A&quot;1" x="3" width="0.12"/>'
    >>> PX.el("text", text="a < b", x=1)
    '<text x="1">a &lt; b</text>'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["PX", "Svg", "Value", "esc"]

Value = str | int | float | None
"""An attribute value: text (escaped), a number (formatted), or None (left out)."""

# characters not allowed in an XML 1.0 document (tab, newline and carriage return are)
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: str) -> str:
    """Text or an attribute value escaped for XML: markup characters as entities, and the
    characters XML 1.0 cannot hold at all (control characters, lone surrogates) as U+FFFD.

    >>> esc('T" onmouseover="alert(1)')
    'T&quot; onmouseover=&quot;alert(1)'
    >>> esc("a" + chr(0) + "b") == "a\\ufffdb"
    True
    """
    if _XML_BAD.search(text):
        text = _XML_BAD.sub("\ufffd", text)
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text, quote=True)
    return text


@dataclass(frozen=True, slots=True)
class Svg:
    """An SVG writer: how it writes numbers; every method returns markup text.

    Attributes:
        decimals: digits after the point of a float.
        trim: drop trailing zeros (``2.5`` not ``2.50``, ``3`` not ``3.00``) and write
            ``-0`` as ``0``.
    """

    decimals: int = 2
    trim: bool = True

    def num(self, v: float) -> str:
        """A number as this writer writes it (an ``int`` as it is).

        ``repr`` of a float rounded to ``decimals`` is its shortest round-tripping form;
        adding ``0.0`` turns ``-0.0`` into ``0.0``.

        >>> PX.num(3.0), PX.num(-0.001), PX.num(12.3456), Svg(decimals=1, trim=False).num(3)
        ('3', '0', '12.35', '3')
        """
        if isinstance(v, int):
            return str(v)
        if not self.trim:
            return f"{v:.{self.decimals}f}"
        r = repr(round(float(v), self.decimals) + 0.0)
        return r[:-2] if r.endswith(".0") else r

    def nums(self, values: np.ndarray) -> list[str]:
        """:meth:`num` of every value of an array, at once (the drawing's tray corners)."""
        if not self.trim:
            return [f"{v:.{self.decimals}f}" for v in values.reshape(-1).tolist()]
        flat = (np.round(values.reshape(-1), self.decimals) + 0.0).tolist()
        return [r[:-2] if r.endswith(".0") else r for r in map(repr, flat)]

    def points(self, pts: Iterable[tuple[float, float]]) -> str:
        """A ``points`` attribute: ``x,y x,y ...``."""
        return " ".join(f"{self.num(x)},{self.num(y)}" for x, y in pts)

    def attrs(self, attrs: dict[str, Value]) -> str:
        """Attributes in the order given, each with a leading space; None left out."""
        out = []
        for name, v in attrs.items():
            if v is None:
                continue
            text = esc(v) if isinstance(v, str) else self.num(v)
            out.append(f' {name.rstrip("_").replace("_", "-")}="{text}"')
        return "".join(out)

    def start(self, tag: str, *, title: str | None = None, **attrs: Value) -> str:
        """An opening tag, then its ``<title>`` (a tooltip) if given."""
        tip = f"<title>{esc(title)}</title>" if title is not None else ""
        return f"<{tag}{self.attrs(attrs)}>{tip}"

    def el(
        self, tag: str, *children: str, text: str | None = None, title: str | None = None,
        **attrs: Value,
    ) -> str:  # fmt: skip
        """One element on one line: ``<tag .../>`` when empty, else its ``<title>``, its
        text (escaped) and its children (markup, as written by this writer) inside."""
        inner = (f"<title>{esc(title)}</title>" if title is not None else "") + (
            esc(text) if text is not None else ""
        )
        inner += "".join(children)
        if not inner:
            return f"<{tag}{self.attrs(attrs)}/>"
        return f"<{tag}{self.attrs(attrs)}>{inner}</{tag}>"

    def group(self, children: Iterable[str], **attrs: Value) -> list[str]:
        """A ``<g>`` around children, one line each."""
        return [self.start("g", **attrs), *children, "</g>"]

    def document(self, width: float, height: float, body: Iterable[str], **attrs: Value) -> str:
        """A standalone SVG document of the given size (px), one element a line."""
        w, h = self.num(width), self.num(height)
        head = self.start(
            "svg", xmlns="http://www.w3.org/2000/svg", width=w, height=h, viewBox=f"0 0 {w} {h}",
            **attrs,
        )  # fmt: skip
        return "\n".join([head, *body, "</svg>"]) + "\n"


PX = Svg()
"""The floor drawing's writer: px to two decimals, trailing zeros dropped."""
