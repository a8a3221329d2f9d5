"""The README's worked example shows what topo prints today.

The golden files (tests/golden/enterprise-hall, kept current by tests/topo/outputs/test_exports.py)
are the default scenario's outputs; the README quotes a cable row and the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden" / "enterprise-hall"


def test_the_quoted_cable_row_is_a_row_of_the_default_plan():
    readme = (ROOT / "README.md").read_text()
    quoted = [ln for ln in readme.splitlines() if ln.startswith("C0")]
    assert quoted, "the README quotes no cables.csv row"
    rows = set((GOLDEN / "cables.csv").read_text().splitlines())
    for row in quoted:
        assert row in rows


def test_the_quoted_summary_matches_the_default_plan():
    readme = (ROOT / "README.md").read_text()
    s = json.loads((GOLDEN / "plan.json").read_text())["summary"]
    assert f"{s['total_length_m']:,.2f} m (bound {s['lower_bound_length_m']:,.2f} m)" in readme
    assert f"${s['cost_usd']:,.2f}" in readme
    assert f"{s['optics_power_w']:,.1f} W" in readme
    assert f"links / cables  │ {s['links']} / {s['cables']}" in readme
