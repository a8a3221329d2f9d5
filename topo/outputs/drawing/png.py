"""PNG output through the optional ``resvg-py`` package (``pip install 'topo[png]'``):
a self-contained renderer wheel, no system libraries needed."""

from __future__ import annotations

import importlib.util

from topo.errors import DrawingError, Problem

__all__ = ["png_available", "svg_to_png"]


def png_available() -> bool:
    """Whether :func:`svg_to_png` can run (the ``png`` extra is installed)."""
    return importlib.util.find_spec("resvg_py") is not None


def svg_to_png(svg: str, *, zoom: float = 1.0) -> bytes:
    """Render a drawing to PNG with the optional ``resvg-py`` package.

    Args:
        zoom: pixels per drawing px (2.0 for a sharper print).

    Raises:
        DrawingError: ``resvg-py`` is not installed (install ``topo[png]``).
    """
    try:
        import resvg_py
    except ImportError:
        raise DrawingError(
            Problem(
                "output",
                "PNG output needs the optional resvg-py package: pip install 'topo[png]' "
                "(or write .svg)",
            )
        ) from None
    png = resvg_py.svg_to_bytes(
        svg_string=svg, zoom=zoom, background="#ffffff", sans_serif_family="DejaVu Sans"
    )
    return bytes(png)
