"""Routing: which trays each cable runs through.

Steps:

1. Collect the distinct rack pairs the links join (a link inside one rack touches no tray).
2. Pick a small set of source racks that covers every pair (racks with the most pairs
   first: the network racks of a hall).
3. Run one Dijkstra per source on the pathway graph's CSR matrix
   (``scipy.sparse.csgraph``), keeping predecessors, and read each pair's path back as
   a list of tray segments.

This is the shortest-path router: each cable takes the shortest tray route between its
racks, whatever the fill. Pairs with no tray path between them are reported as unrouted,
never dropped.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csgraph

from layouts.pathways import PathwayGraph
from topo.model import RackRoute

__all__ = ["cover_sources", "shortest_routes"]


def cover_sources(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """A small vertex cover of the pair graph: racks with most pairs first (greedy)."""
    pairs = list(pairs)
    degree = Counter(r for p in pairs for r in p)
    order = sorted(degree, key=lambda r: (-degree[r], r))
    chosen: list[str] = []
    covered: set[tuple[str, str]] = set()
    by_rack: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in pairs:
        by_rack[p[0]].append(p)
        by_rack[p[1]].append(p)
    for r in order:
        todo = [p for p in by_rack[r] if p not in covered]
        if not todo:
            continue
        chosen.append(r)
        covered.update(todo)
        if len(covered) == len(pairs):
            break
    return chosen


def shortest_routes(
    graph: PathwayGraph, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RackRoute | None]:
    """Shortest tray route for each rack pair; ``None`` where no tray path exists.

    Racks without a drop (no tray in reach) have no route. Pairs are returned in the
    orientation asked for.
    """
    wanted = sorted({p for p in pairs if p[0] != p[1]})
    out: dict[tuple[str, str], RackRoute | None] = {}
    servable = [p for p in wanted if p[0] in graph.drops and p[1] in graph.drops]
    for p in wanted:
        out[p] = None
    if not servable:
        return out
    sources = cover_sources(servable)
    src_nodes = np.array([graph.drops[r].node for r in sources], dtype=np.int64)
    dist, pred = csgraph.dijkstra(
        graph.csr, directed=False, indices=src_nodes, return_predecessors=True
    )
    row_of = {r: i for i, r in enumerate(sources)}
    lookup = graph.edge_lookup
    edge_seg = graph.edge_segment
    for a, b in servable:
        if a in row_of:
            src, dst, flip = a, b, False
        else:
            src, dst, flip = b, a, True
        row = row_of[src]
        target = graph.drops[dst].node
        if not np.isfinite(dist[row, target]):
            continue
        nodes = [target]
        prow = pred[row]
        while nodes[-1] != graph.drops[src].node:
            nodes.append(int(prow[nodes[-1]]))
        nodes.reverse()  # src ... dst
        segs = []
        for u, v in itertools.pairwise(nodes):
            e = lookup[(u, v) if u < v else (v, u)]
            s = int(edge_seg[e])
            if s >= 0:
                segs.append(s)
        da, db = graph.drops[src].length_mm, graph.drops[dst].length_mm
        route = RackRoute(src, dst, int(dist[row, target]) - da - db, da, db, tuple(segs))
        out[(a, b)] = route.reversed() if flip else route
    return out
