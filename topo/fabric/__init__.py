"""Fabric: network intent -> devices and port-numbered links.

:func:`build_network` is the stage's entry point: it lays out the servers, builds every
network a scenario names (spine-leaf and Clos in :mod:`~topo.fabric.build`, rail-optimized
GPU fabrics in :mod:`~topo.fabric.rail`, management in :mod:`~topo.fabric.mgmt`) and
merges them into one :class:`~topo.model.Fabric`. The other modules are the builders'
shared parts: leaves, Clos tiers, switch ports, servers and the link buffer.
"""

from topo.fabric.network import add_management, build_network, restrict_media

__all__ = ["add_management", "build_network", "restrict_media"]
