"""Path diversity: redundant links on tray routes that share no segment.

Links whose ``Link.redundancy`` keys are equal and non-empty (the two uplinks of a
dual-homed server, two planes of a fabric) should not fail together when one tray is
cut. For each such set, in link order, the first link takes its shortest route; each
next link takes the shortest route under lengths where every segment already used by
the set costs more than any detour::

    weight(e) = length(e) + BIG * [e carries an earlier link of the set]

so a link shares a segment only where no route avoids it, and then as few as possible.
The shared segments are reported. Sets with the same rack pairs get the same routes
(computed once). The routes are fixed before the capacity optimizer runs; their cables
count as fixed load on the trays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from topo.flows import FlowGraph, tree_paths

__all__ = ["diverse_paths"]


def diverse_paths(
    fg: FlowGraph, members: Sequence[Sequence[tuple[int, int]]]
) -> list[tuple[list[np.ndarray], tuple[int, ...]]]:
    """Routes for each redundancy set.

    Args:
        members: for each set, its links' ``(source node, sink node)`` in link order.

    Returns:
        For each set, the kept-edge path of each link (source first) and the segment
        indices shared by two or more of its links (sorted).
    """
    big = float(fg.mm.sum()) + 1.0
    base = fg.mm.astype(np.float64)
    cache: dict[tuple[tuple[int, int], ...], tuple[list[np.ndarray], tuple[int, ...]]] = {}
    out = []
    for links in members:
        key = tuple(links)
        if key not in cache:
            used = np.zeros(len(fg.capacity), dtype=bool)
            shared: set[int] = set()
            paths = []
            for src, dst in links:
                w = base.copy()
                on = fg.seg >= 0
                w[on] += big * used[fg.seg[on]]
                _, pred = fg.dijkstra(w, [src])
                path = tree_paths(fg, pred[0], np.array([dst]))[0]
                segs = fg.seg[path]
                segs = segs[segs >= 0]
                shared.update(int(s) for s in segs if used[s])
                used[segs] = True
                paths.append(path)
            cache[key] = (paths, tuple(sorted(shared)))
        out.append(cache[key])
    return out
