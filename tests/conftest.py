"""Shared fixtures: the shipped default scenario, planned once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

import topo
from topo.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "topo" / "data" / "scenarios" / "enterprise-hall.yaml"


@pytest.fixture(scope="session")
def default_plan() -> Plan:
    return topo.plan(topo.load_scenario(DEFAULT_SCENARIO))
