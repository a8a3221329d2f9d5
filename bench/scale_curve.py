"""Draw planning time against cables from bench/scale.csv (bench/README.md's rail clusters).

    python bench/scale_curve.py            # writes bench/scale.svg

``scale.csv`` holds one row per measured cluster: cables and the wall time (s) of the
default plan and of the shortest-route plan, as measured by ``bench/rail_cluster.py``.
The chart draws both against cables on linear axes, with a dotted line through the
origin and the smallest cluster's default time per cable: where a curve rises above
it, time grows faster than the cables.
"""

from __future__ import annotations

import csv
from pathlib import Path

from topo.outputs.svg import PX

HERE = Path(__file__).parent
W, H, LEFT, BOTTOM, TOP, RIGHT = 640, 360, 60, 40, 20, 150


def main() -> None:
    rows = list(csv.DictReader((HERE / "scale.csv").open(encoding="utf-8")))
    pts = [(int(r["cables"]), float(r["default_s"]), float(r["shortest_s"])) for r in rows]
    xmax = max(c for c, _, _ in pts) * 1.1
    ymax = max(d for _, d, _ in pts) * 1.25

    def at(c: float, s: float) -> tuple[float, float]:
        return (
            LEFT + c / xmax * (W - LEFT - RIGHT),
            H - BOTTOM - s / ymax * (H - BOTTOM - TOP),
        )

    body = [PX.el("rect", width=W, height=H, fill="#fff")]
    x0, y0 = at(0, 0)
    x1, y1 = at(xmax, ymax)
    body.append(PX.el("polyline", points=PX.points([(x0, y1), (x0, y0), (x1, y0)]),
                      fill="none", stroke="#333"))  # fmt: skip
    for k in range(0, int(xmax) + 1, 50_000):
        x, _ = at(k, 0)
        body.append(PX.el("text", text=f"{k // 1000}k", x=x, y=y0 + 16, font_size=11,
                          text_anchor="middle"))  # fmt: skip
    for s in range(0, int(ymax) + 1, 10):
        _, y = at(0, s)
        body.append(PX.el("text", text=str(s), x=x0 - 6, y=y + 4, font_size=11,
                          text_anchor="end"))  # fmt: skip
    body.append(PX.el("text", text="cables", x=(x0 + x1) / 2, y=H - 6, font_size=12,
                      text_anchor="middle"))  # fmt: skip
    body.append(PX.el("text", text="seconds", x=LEFT + 8, y=TOP + 10, font_size=12))
    c0, d0, _ = min(pts)
    rate = d0 / c0
    series = [
        ("default options", "#c0392b", [(c, d) for c, d, _ in pts], ""),
        ("routing: shortest", "#2471a3", [(c, s) for c, _, s in pts], ""),
        ("linear from the smallest", "#888", [(0, 0), (xmax, rate * xmax)], "4 4"),
    ]
    for i, (name, colour, line, dash) in enumerate(series):
        xy = [at(c, min(s, ymax)) for c, s in line]
        body.append(PX.el("polyline", points=PX.points(xy), fill="none", stroke=colour,
                          stroke_width=2, stroke_dasharray=dash or None))  # fmt: skip
        if not dash:
            body += [PX.el("circle", cx=x, cy=y, r=3, fill=colour) for x, y in xy]
        ly = TOP + 14 + 18 * i
        lx = W - RIGHT + 10
        body.append(PX.el("line", x1=lx, y1=ly - 4, x2=lx + 20, y2=ly - 4, stroke=colour,
                          stroke_width=2, stroke_dasharray=dash or None))  # fmt: skip
        body.append(PX.el("text", text=name, x=lx + 24, y=ly, font_size=11))
    (HERE / "scale.svg").write_text(PX.document(W, H, body), encoding="utf-8")


if __name__ == "__main__":
    main()
