"""Shared fixtures: the shipped default scenario and every example, planned once per test
session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import topo
from topo.outputs import write_plan
from topo.plan import Plan
from topo.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "topo" / "data" / "scenarios" / "enterprise-hall.yaml"
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml") if not p.stem.startswith("sweep"))
"""Every example scenario (sweeps aside)."""


@pytest.fixture(scope="session")
def default_plan() -> Plan:
    return topo.plan(topo.load_scenario(DEFAULT_SCENARIO))


def example_scenario(name: str) -> Scenario:
    """An example as the suite plans it: the 16k-GPU cluster on shortest routes (49,152
    cables take a minute to route within the tray limits, seconds on shortest routes)."""
    sc = topo.load_scenario(EXAMPLES / f"{name}.yaml")
    if name == "ai-cluster-16k":
        sc = sc.model_copy(
            update={"options": sc.options.model_copy(update={"routing": "shortest"})}
        )
    return sc


@pytest.fixture(scope="session")
def example_plans() -> dict[str, Plan]:
    """Every example, planned (see :func:`example_scenario`)."""
    return {name: topo.plan(example_scenario(name)) for name in EXAMPLE_NAMES}


@pytest.fixture(scope="session")
def example_folders(
    example_plans: dict[str, Plan], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every example's plan folder, as ``topo plan`` writes it."""
    root = tmp_path_factory.mktemp("examples")
    for name, p in example_plans.items():
        write_plan(p, root / name)
    return {name: root / name for name in example_plans}


def assert_golden(data: bytes, path: Path) -> None:
    """``data`` equals the golden file ``path`` (rewritten first under
    ``TOPO_UPDATE_GOLDEN=1``, after a deliberate change)."""
    if os.environ.get("TOPO_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"missing golden file {path}; regenerate with TOPO_UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), f"{path.name} differs from {path}"
