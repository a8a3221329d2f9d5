"""Every plan topo writes, checked by tests/plan_checker.py, which shares no code with topo.

The shipped examples are planned once into temporary folders and checked; small halls
drawn by hypothesis are planned in every objective and effort and their bounds compared
across modes; and good folders are corrupted one figure at a time to show that the
checker notices each kind of error.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layouts.generate import regular_hall
from tests.conftest import EXAMPLE_NAMES
from tests.plan_checker import check_bounds_across, check_plan_folder
from tests.topo.test_claims import FITS, MODES, TIGHT, planned
from topo.outputs.exports import write_plan
from topo.planner import plan
from topo.scenario import Scenario

SCENARIOS = EXAMPLE_NAMES


def _plan_into(scenario: Scenario, folder: Path) -> Path:
    write_plan(plan(scenario), folder)
    return folder


def test_every_example_is_planned():
    assert {"enterprise-hall", "ai-hall-spine-leaf", "ai-pod", "ai-cluster-16k"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_example_plan_passes_the_independent_checks(example_folders, name):
    assert check_plan_folder(example_folders[name]) == []


# ---------------------------------------------------------------- generated halls

EFFORTS = ("low", "normal", "high")


def _hall_scenario(
    rows: int, racks: int, spines: int, tray_width: float, cross_every: int, **options
) -> Scenario:
    floor = regular_hall(
        rows=rows,
        racks_per_row=racks,
        network_positions=(1,),
        tray_width=tray_width,
        backbone_width=0.3,
        cross_every=cross_every,
    )
    return Scenario.model_validate(
        {
            "name": "gen",
            "floor": floor,
            "servers": {"model": "srv-1u-2x25g", "per_rack": 4},
            "fabric": {
                "kind": "spine-leaf",
                "leaf": {"model": "tor-48x25g-8x100g"},
                "spine": {"model": "sw-64x400g-1u", "count": spines},
            },
            "options": {"placement": "naive", **options},
        }
    )


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.integers(1, 3),
    racks=st.integers(3, 6),
    spines=st.sampled_from([1, 2, 4]),
    tray_width=st.sampled_from([0.3, 0.02, 0.015, 0.012]),
    cross_every=st.sampled_from([2, 3, 99]),
)
def test_generated_halls_pass_and_no_bound_beats_another_mode(
    tmp_path_factory, rows, racks, spines, tray_width, cross_every
):
    """Row trays narrow enough to force detours over the cross trays (at 12-20 mm)."""
    root = tmp_path_factory.mktemp("hall")
    folders = []
    modes = [(obj, eff) for obj in ("cost", "length") for eff in EFFORTS]
    if rows * racks <= 8:
        modes += [("cost", "exact"), ("length", "exact")]
    for obj, eff in modes:
        sc = _hall_scenario(
            rows, racks, spines, tray_width, min(cross_every, racks), objective=obj, effort=eff
        )
        folder = _plan_into(sc, root / f"{obj}-{eff}")
        assert check_plan_folder(folder) == [], (obj, eff)
        folders.append(folder)
    assert check_bounds_across(folders) == []


@pytest.mark.parametrize("width", [FITS, TIGHT])
def test_breakout_row_hall_in_every_mode(tmp_path, width):
    """The row hall of test_claims: spine cages split 4 x 100G into legs of mixed
    lengths, a tight row tray and a roomy detour, planned in every mode."""
    folders = []
    for mode in sorted(MODES):
        folder = tmp_path / mode
        write_plan(planned(width, mode), folder)
        assert check_plan_folder(folder) == [], mode
        folders.append(folder)
    assert check_bounds_across(folders) == []


# ---------------------------------------------------------------- the checker can fail


@pytest.fixture(scope="module")
def good(example_folders) -> Path:
    """A plan with breakout legs, detours and optics: the AI hall."""
    return example_folders["ai-hall-spine-leaf"]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _edit_csv(path: Path, edit) -> None:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    edit(rows)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _first(rows, **where):
    return next(r for r in rows if all(pred(r[k]) for k, pred in where.items()))


def _shorten(rows):
    r = _first(rows, tray_route=bool, tier=lambda t: t == "leaf-spine")
    r["length_m"] = f"{float(r['length_m']) - 3:.3f}"


def _break_chain(rows):
    r = _first(rows, tray_route=lambda v: " > " in v)
    parts = r["tray_route"].split(" > ")
    r["tray_route"] = (
        " > ".join([parts[0], "T-A.001", *parts[1:]])
        if parts[0][:3] != "T-A"
        else (" > ".join([*parts[:1], "T-K.001", *parts[1:]]))
    )


def _reuse_port(rows):
    a, b = rows[0], rows[1]
    b["a_rack"], b["a_u"], b["a_device"], b["a_port"] = (
        a["a_rack"],
        a["a_u"],
        a["a_device"],
        a["a_port"],
    )


def _overprice(rows):
    r = rows[-1]
    r["cost_usd"] = f"{float(r['cost_usd']) + 1:.2f}"


def _length_at_route(rows):
    r = _first(rows, tray_route=bool, tier=lambda t: t == "leaf-spine")
    r["length_m"] = r["route_m"]


def _drop_first_segment(rows):
    r = _first(rows, tray_route=lambda v: " > " in v)
    r["tray_route"] = r["tray_route"].split(" > ", 1)[1]


CORRUPTIONS = {
    "length no more than its route": ("cables.csv", _length_at_route, "and drops"),
    "route missing its first tray": ("cables.csv", _drop_first_segment, "drop point"),
    "overpriced cable": ("cables.csv", _overprice, "the catalog prices"),
    "shortened length": ("cables.csv", _shorten, "stock"),
    "broken route chain": ("cables.csv", _break_chain, "route"),
    "reused port": ("cables.csv", _reuse_port, "used by both"),
}


@pytest.mark.parametrize("what", sorted(CORRUPTIONS))
def test_checker_reports_a_corrupted_cable_schedule(good, tmp_path, what):
    file, edit, words = CORRUPTIONS[what]
    folder = _copy(good, tmp_path / "plan")
    _edit_csv(folder / file, edit)
    problems = check_plan_folder(folder)
    assert any(words in p for p in problems), problems


def test_checker_reports_a_wrong_bom_count(good, tmp_path):
    folder = _copy(good, tmp_path / "plan")

    def edit(rows):
        r = _first(rows, category=lambda c: c == "cable")
        r["quantity"] = str(int(r["quantity"]) + 1)

    _edit_csv(folder / "bom.csv", edit)
    problems = check_plan_folder(folder)
    assert any("BOM cable" in p and "quantity" in p for p in problems), problems


def test_checker_reports_a_bound_above_the_plan(good, tmp_path):
    folder = _copy(good, tmp_path / "plan")
    data = json.loads((folder / "plan.json").read_text())
    data["summary"]["lower_bound_cost_usd"] = data["summary"]["cable_cost_usd"] + 100
    (folder / "plan.json").write_text(json.dumps(data))
    problems = check_plan_folder(folder)
    assert any("lower_bound_cost_usd" in p and "above" in p for p in problems), problems
    other = _copy(good, tmp_path / "other")
    assert any("lower_bound_cost_usd" in p for p in check_bounds_across([folder, other]))


def test_checker_reports_a_raised_fill(good, tmp_path):
    folder = _copy(good, tmp_path / "plan")

    def edit(rows):
        r = max(rows, key=lambda r: float(r["fill_pct"]))
        r["fill_pct"] = f"{float(r['fill_pct']) + 5:.2f}"

    _edit_csv(folder / "trays.csv", edit)
    problems = check_plan_folder(folder)
    assert any("fill" in p and "from cable ODs" in p for p in problems), problems


def test_checker_reports_an_optimal_plan_over_a_limit(good, tmp_path):
    folder = _copy(good, tmp_path / "plan")
    sc = yaml.safe_load((folder / "scenario.yaml").read_text())
    sc["floor"]["fill_limit"] = 0.05
    (folder / "scenario.yaml").write_text(yaml.safe_dump(sc))
    problems = check_plan_folder(folder)
    assert any("over its limit" in p for p in problems), problems


def test_checker_counts_the_cables_on_thinner_media(tmp_path):
    """A plan that fits by thinner media passes; a summary that miscounts or misprices
    them, or leaves them out, does not."""
    from tests.topo.test_thin_media import _scenario

    folder = _plan_into(_scenario(), tmp_path / "thin")
    assert check_plan_folder(folder) == []
    data = json.loads((folder / "plan.json").read_text())
    said = data["summary"]["thin_media"]
    assert said["cables"] > 0
    for field, value in (("cables", said["cables"] + 1), ("extra_cost_usd", 1.0)):
        bad = _copy(folder, tmp_path / f"bad-{field}")
        edited = json.loads((bad / "plan.json").read_text())
        edited["summary"]["thin_media"][field] = value
        (bad / "plan.json").write_text(json.dumps(edited))
        assert any("summary.thin_media" in p for p in check_plan_folder(bad)), field
    gone = _copy(folder, tmp_path / "gone")
    edited = json.loads((gone / "plan.json").read_text())
    del edited["summary"]["thin_media"]
    (gone / "plan.json").write_text(json.dumps(edited))
    assert any("summary.thin_media counts 0" in p for p in check_plan_folder(gone))
