"""Helpers shared by the interop export tests: renaming devices in a plan, and reading
the README's samples of an export."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from topo.model import Endpoint, Fabric, Placement
from topo.plan import Plan

ROOT = Path(__file__).resolve().parents[3]


def renamed(plan: Plan, names: dict[str, str]) -> Plan:
    """``plan`` with some device ids changed (everywhere they appear)."""

    def end(e: Endpoint) -> Endpoint:
        return dataclasses.replace(e, device=names.get(e.device, e.device))

    devices = tuple(
        dataclasses.replace(d, id=names.get(d.id, d.id)) for d in plan.placement.devices
    )
    links = tuple(dataclasses.replace(x, a=end(x.a), b=end(x.b)) for x in plan.fabric.links)
    fabric = Fabric(plan.fabric.name, devices, links, parts=plan.fabric.parts)
    return dataclasses.replace(plan, fabric=fabric, placement=Placement(devices))


def readme_sample(heading: str) -> list[str]:
    """The lines of the first ``yaml`` block of the README section ``heading``."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(f" {heading}\n") :]
    start = section.index("```yaml\n") + len("```yaml\n")
    return section[start : section.index("```", start)].splitlines()


def assert_sample_of(sample: list[str], output: str) -> None:
    """Every sample line but ``# ...`` elisions is a line of ``output``, in order."""
    lines = iter(output.splitlines())
    for line in sample:
        if line.strip().startswith("# ..."):
            continue
        assert line in lines, line  # consumes ``lines`` up to the match
