"""Invariants every generated fabric must keep, shared by the fabric tests as the
``fabric_ok`` fixture."""

from __future__ import annotations

from collections import Counter, defaultdict

import networkx as nx
import pytest

from topo.model import Fabric

RANK = {"server": 0, "appliance": 0, "leaf": 1, "spine": 2, "core": 3, "mgmt": 1, "mgmt-agg": 2}


def check_fabric(f: Fabric) -> None:
    """One use per port, ``a`` below ``b``, even striping per pod and core group, sorted
    unique link ids, and every server reaching every other through the switches."""
    devices = f.device_index()
    assert len(devices) == len(f.devices)
    used = Counter((e.device, e.port, e.lane) for x in f.links for e in (x.a, x.b))
    assert max(used.values()) == 1, used.most_common(1)
    whole = {(d, p) for d, p, lane in used if lane == 0}
    split = {(d, p) for d, p, lane in used if lane > 0}
    assert not whole & split
    for x in f.links:
        if x.tier not in ("leaf-peer", "device-mgmt"):
            assert RANK[devices[x.a.device].role] < RANK[devices[x.b.device].role], x
    ids = [x.id for x in f.links]
    assert len(set(ids)) == len(ids)
    # even striping: within a pod every leaf-spine pair, within a core group every
    # spine-core pair, has the same number of links, and every pair exists
    nets = sorted({x.fabric for x in f.links})
    for net, tier in ((n, t) for n in nets for t in ("leaf-spine", "spine-core", "mgmt-agg")):
        pairs: dict[tuple[str, str], int] = defaultdict(int)
        for x in f.links:
            if x.tier == tier and x.fabric == net:
                pairs[x.a.device, x.b.device] += 1
        if not pairs:
            continue
        assert len(set(pairs.values())) == 1, (tier, Counter(pairs.values()))
        ups: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            ups[a].add(b)
        # lower devices sharing one upper device share all of them
        seen: dict[str, frozenset[str]] = {}
        for a, bs in ups.items():
            for b in bs:
                key = frozenset(bs)
                assert seen.setdefault(b, key) == key, (tier, a, b)
    # reachability between servers (per plane: servers reach each other in every plane)
    g = nx.Graph()
    g.add_edges_from((x.a.device, x.b.device) for x in f.links if x.tier != "device-mgmt")
    servers = [d.id for d in f.devices if d.role == "server" and d.id in g]
    if servers:
        comp = nx.node_connected_component(g, servers[0])
        assert all(s in comp for s in servers)


@pytest.fixture
def fabric_ok():
    """:func:`check_fabric`, for tests to call on every fabric they build."""
    return check_fabric
