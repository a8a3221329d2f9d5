"""Regenerate the drawings shown in README.md from the AI hall example.

Run from the repository root after a change to the drawing or the planner, and review
the images before committing them::

    python docs/make_images.py

Writes ``docs/ai-hall.svg`` (the floor plan, trays coloured by fill) and
``docs/ai-hall-routes.svg`` (the same plan with the leaf-spine cables of rack J01
highlighted), exactly as ``topo draw`` would.
"""

from __future__ import annotations

from pathlib import Path

import topo
from topo.outputs.drawing import plan_to_svg

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "examples" / "ai-hall-spine-leaf.yaml"

IMAGES = {
    "ai-hall.svg": {},
    "ai-hall-routes.svg": {"rack": "J01", "tier": "leaf-spine"},
}
"""File name -> highlight options passed to :func:`topo.outputs.drawing.plan_to_svg`."""


def make_images(out_dir: Path = ROOT / "docs") -> list[Path]:
    """Plan the AI hall example once and write every image; returns the paths written."""
    plan = topo.plan(topo.load_scenario(SCENARIO))
    written = []
    for name, options in IMAGES.items():
        path = out_dir / name
        path.write_text(plan_to_svg(plan, **options), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in make_images():
        print(f"wrote {path.relative_to(ROOT)}")
