"""Writing SVG: elements, attributes, escaping and number formatting, each done once.

Every SVG topo writes (the floor drawing, the batch comparison chart) goes through an
:class:`Svg` writer: every text and attribute value is escaped for XML (:func:`esc`), so a
user's id such as ``T"><script>`` comes out as inert text; every number is written one way
(:data:`PX`, the drawing's: two decimals at most, never ``-0``); attributes come out in the
order given, ``_`` spelling ``-`` (``data_rack``, ``class_``), ``None`` left out.

Example:
    >>> PX.el("rect", class_="rack", data_rack='A"1', x=3.0, width=0.125)
    '<rect class="rack" data-rack="A&quot;1" x="3" width="0.12"/>'
    >>> PX.el("text", text="a < b", x=1)
    '<text x="1">a &lt; b</text>'
"""

from __future__ import annotations

import functools
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
    """An SVG writer, ``decimals`` digits after the point of a float, ``trim`` dropping
    trailing zeros (``2.5``, ``3``) and the sign of ``-0``; each method returns markup."""

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

    def points_array(self, shapes: np.ndarray) -> list[str]:
        """A ``points`` attribute for each shape of an ``(n, corners, 2)`` array, at once (the
        drawing's tray segments). numpy rounds, so a value half-way between two may end up
        on the other side of it than with :meth:`num`."""
        k = 2 * shapes.shape[1]
        flat = (np.round(shapes.reshape(-1), self.decimals) + 0.0).tolist()
        v = [r[:-2] if r.endswith(".0") else r for r in map(repr, flat)]
        fmt = " ".join(["{},{}"] * (k // 2)).format
        return [fmt(*v[i : i + k]) for i in range(0, len(v), k)]

    def points(self, pts: Iterable[tuple[float, float]]) -> str:
        """A ``points`` attribute: ``x,y x,y ...``."""
        return " ".join(f"{self.num(x)},{self.num(y)}" for x, y in pts)

    def attrs(self, attrs: dict[str, Value]) -> str:
        """Attributes in the order given, each with a leading space; None left out."""
        out = []
        for k, v in attrs.items():
            if v is not None:
                text = esc(v) if isinstance(v, str) else self.num(v)
                out.append(f' {_name(k)}="{text}"')
        return "".join(out)

    def el(self, tag: str, *children: str, text: str | None = None, title: str | None = None,
           **attrs: Value) -> str:  # fmt: skip
        """One element on one line: ``<tag .../>`` when empty, else its ``<title>``, its
        text (escaped) and its children (markup from this writer) inside."""
        if title is None and text is None and not children:
            return f"<{tag}{self.attrs(attrs)}/>"
        body = "" if text is None else esc(text)
        return f"<{tag}{self.attrs(attrs)}>{_title(title)}{body}{''.join(children)}</{tag}>"

    def group(self, children: Iterable[str], *, title: str | None = None, **attrs: Value
              ) -> list[str]:  # fmt: skip
        """A ``<g>`` (with its ``<title>`` if given) around children, one line each."""
        return [f"<g{self.attrs(attrs)}>{_title(title)}", *children, "</g>"]

    def document(self, width: float, height: float, body: Iterable[str], **attrs: Value) -> str:
        """A standalone SVG document of the given size (px), one element a line."""
        w, h = self.num(width), self.num(height)
        size = {"width": w, "height": h, "viewBox": f"0 0 {w} {h}"}
        head = f'<svg xmlns="http://www.w3.org/2000/svg"{self.attrs({**size, **attrs})}>'
        return "\n".join([head, *body, "</svg>"]) + "\n"


@functools.cache
def _name(key: str) -> str:
    """An attribute's name from a keyword: ``data_rack`` is ``data-rack``, ``class_`` ``class``."""
    return key.rstrip("_").replace("_", "-")


def _title(text: str | None) -> str:
    return "" if text is None else f"<title>{esc(text)}</title>"


PX = Svg()
"""The floor drawing's writer: px to two decimals, trailing zeros dropped."""
