"""A two-generation AI hall: GB300 NVL72 racks on XDR beside installed H100 nodes on NDR.

Generation 1 (examples/brownfield/ai-gen1.yaml, rows A and B of
examples/floors/ai-hall-two-generations.yaml) is installed as the committed plan folder
examples/brownfield/ai-gen1-plan/; examples/ai-hall-gen2.yaml adds generation 2 in the
liquid-cooled rows E and F on a fabric of its own. The checks below read the written
files (cables.csv, changes.csv, plan.json) with the csv and json modules only.
Regenerate the installed plan, and review the diff, with::

    TOPO_UPDATE_GOLDEN=1 python -m pytest tests/topo/test_two_generations.py
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

import topo
from tests.conftest import assert_golden
from topo.errors import FabricError
from topo.outputs import render_plan, write_plan
from topo.outputs.exports import OUTPUT_FILES
from topo.scenario import Scenario, resolve_existing

ROOT = Path(__file__).resolve().parents[2]
GEN1 = ROOT / "examples" / "brownfield" / "ai-gen1.yaml"
GEN1_PLAN = ROOT / "examples" / "brownfield" / "ai-gen1-plan"
GEN2 = ROOT / "examples" / "ai-hall-gen2.yaml"


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture(scope="module")
def gen1() -> Scenario:
    return topo.load_scenario(GEN1)


@pytest.fixture(scope="module")
def gen2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generation 2 planned on the installed generation 1 and written as ``topo plan``
    writes it."""
    out = tmp_path_factory.mktemp("ai-gen2")
    write_plan(topo.plan(topo.load_scenario(GEN2)), out)
    return out


def test_the_installed_generation_is_what_topo_plans_today(gen1):
    files = render_plan(topo.plan(gen1))
    assert set(files) == set(OUTPUT_FILES)
    for name, data in files.items():
        assert_golden(data, GEN1_PLAN / name)


def test_every_installed_cable_row_is_byte_identical_in_generation_2(gen2_folder):
    """Same id, label, media, route, length, ends: the whole row, byte for byte."""
    installed = (GEN1_PLAN / "cables.csv").read_bytes().decode("utf-8").splitlines()
    now = (gen2_folder / "cables.csv").read_bytes().decode("utf-8").splitlines()
    assert installed[0] == now[0]
    by_id = {line.split(",", 1)[0]: line for line in now[1:]}
    assert len(installed) > 1000
    for line in installed[1:]:
        assert by_id.get(line.split(",", 1)[0]) == line
    # the new cables are numbered after the installed ones
    top = max(int(line.split(",", 1)[0][1:]) for line in installed[1:])
    new = sorted(set(by_id) - {line.split(",", 1)[0] for line in installed[1:]})
    assert new and all(int(c[1:]) > top for c in new)
    # installed devices kept their rack and U
    before = json.loads((GEN1_PLAN / "plan.json").read_bytes())["devices"]
    after = {d["id"]: d for d in json.loads((gen2_folder / "plan.json").read_bytes())["devices"]}
    for d in before:
        assert (after[d["id"]]["rack"], after[d["id"]]["u"]) == (d["rack"], d["u"])


def test_generation_2_has_a_fabric_of_its_own(gen2_folder):
    """NVL72 racks in rows E and F on XDR switches in rows E and F; no cable joins a
    generation-1 device to a generation-2 one but the management network's (the intent
    joins every rack's management switch to the same aggregation switches)."""
    devices = {d["id"]: d for d in json.loads((gen2_folder / "plan.json").read_bytes())["devices"]}
    old = {d["id"] for d in json.loads((GEN1_PLAN / "plan.json").read_bytes())["devices"]}
    nvl = {k for k, d in devices.items() if d["model"] == "nvl72-gb300-rack"}
    assert len(nvl) == 8 and {devices[k]["rack"][0] for k in nvl} == {"E", "F"}
    cables = _rows((gen2_folder / "cables.csv").read_bytes())
    fabrics: dict[str, set[str]] = {}
    for c in cables:
        fabrics.setdefault(c["fabric"], set()).update((c["a_device"], c["b_device"]))
    xdr_switches = fabrics["xdr"] - nvl
    assert fabrics["xdr"] >= nvl and not fabrics["xdr"] & old
    assert {devices[k]["model"] for k in xdr_switches} == {"ib-144x800g-4u"}
    assert {devices[k]["rack"][0] for k in xdr_switches} == {"E", "F"}
    assert fabrics["ndr"] <= old and not fabrics["ndr"] & fabrics["xdr"]
    installed = {r["cable_id"] for r in _rows((GEN1_PLAN / "cables.csv").read_bytes())}
    for c in cables:
        ends = {c["a_device"], c["b_device"]}
        if ends & old and ends - old:
            assert c["fabric"] == "oob" and c["tier"] == "mgmt-agg", c["cable_id"]
        if c["cable_id"] not in installed:
            assert ends - old, c["cable_id"]  # nothing new between installed devices
    # every GPU of every NVL72 rack on its own rail leaf: 72 rails x 8 racks
    down = Counter(c["a_device"] for c in cables if c["fabric"] == "xdr" and c["a_device"] in nvl)
    assert down == dict.fromkeys(nvl, 72)
    speeds = {c["speed_gbps"] for c in cables if c["fabric"] == "xdr"}
    kinds = {c["media_kind"] for c in cables if c["fabric"] == "xdr"}
    assert speeds == {"800"} and "aoc" not in kinds


def test_the_change_summary_counts_changes_csv(gen2_folder):
    changes = _rows((gen2_folder / "changes.csv").read_bytes())
    summary = json.loads((gen2_folder / "plan.json").read_bytes())["summary"]["changes"]
    counted = Counter(r["action"] for r in changes)
    assert {k: summary[k] for k in ("keep", "add", "remove", "reroute")} == {
        k: counted.get(k, 0) for k in ("keep", "add", "remove", "reroute")
    }
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    cables = _rows((gen2_folder / "cables.csv").read_bytes())
    assert summary["keep"] == len(installed) and summary["remove"] == 0
    assert summary["add"] == len(cables) - len(installed)
    assert summary["relative_to"] == "ai-gen1"


def test_liquid_rows_power_the_nvl72_racks(gen2_folder):
    power = json.loads((gen2_folder / "plan.json").read_bytes())["summary"]["power"]
    rows = power["rows"]
    for row in ("E", "F"):
        assert rows[row]["cooling"] == "liquid"
        assert 140 <= rows[row]["max_rack_kw"] <= rows[row]["rack_limit_kw"]
        assert rows[row]["it_kw"] <= rows[row]["budget_kw"]


def _gen1_on_installed(gen1: Scenario, racks: tuple[str, ...]) -> Scenario:
    """Generation 1 with its nodes in ``racks``, planned on the installed generation 1."""
    servers = gen1.servers.model_copy(update={"racks": racks})
    target = gen1.model_copy(update={"servers": servers, "existing": str(GEN1_PLAN)})
    return resolve_existing(target, allow_paths=True)


_GEN1_RACKS = tuple(f"{r}{k:02d}" for r in "AB" for k in range(1, 9))


@pytest.mark.parametrize("rack", ["A01", "A03", "B03"])
def test_an_emptied_rack_loses_its_cables_and_nothing_else(gen1, rack):
    """A rack's four nodes removed from generation 1: the nodes after it would take
    other rail leaf ports (and, for a rack of the first scalable unit, the first nodes of
    the second unit would move into the first), but every other installed cable keeps
    its leaf and ports; the rack's cables, and only they, are removed."""
    plan = topo.plan(_gen1_on_installed(gen1, tuple(r for r in _GEN1_RACKS if r != rack)))
    files = render_plan(plan)
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    in_rack = {r["cable_id"] for r in installed if rack in (r["a_rack"], r["b_rack"])}
    assert len(in_rack) == 4 * 8 + 4 + 4  # rails, BMC ports, management uplinks
    changes = _rows(files["changes.csv"])
    assert {r["cable_id"] for r in changes if r["action"] == "remove"} == in_rack
    assert {r["action"] for r in changes} == {"keep", "remove"}
    now = {r["cable_id"]: r for r in _rows(files["cables.csv"])}
    for r in installed:
        if r["cable_id"] not in in_rack:
            assert now[r["cable_id"]] == r


def test_new_nodes_fill_the_freed_slots_of_an_installed_unit(gen1):
    """A03 emptied and row C added: C01's four nodes take A03's slots in the first
    scalable unit, on the rail leaf ports A03's nodes freed; the rest of row C opens a
    third unit. Installed nodes keep their unit and ports, no port carries two cables,
    and the new spines take no unit of the installed aggregation switches."""
    racks = tuple(r for r in _GEN1_RACKS if r != "A03") + tuple(f"C{k:02d}" for k in range(1, 9))
    plan = topo.plan(_gen1_on_installed(gen1, racks))
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    freed = {
        (r["b_device"], r["b_port"])
        for r in installed
        if r["a_rack"] == "A03" and r["tier"] == "server-leaf"
    }
    kept = {c.id for c in plan.cables}
    for r in installed:  # every installed node stays on its rail leaf ports
        if r["tier"] == "server-leaf" and r["a_rack"] != "A03":
            assert r["cable_id"] in kept
    rails = [c for c in plan.cables if c.tier == "server-leaf" and c.a_rack.startswith("C")]
    unit_of = Counter((c.a_rack, c.b_device.split("-rail")[0]) for c in rails)
    assert unit_of[("C01", "ndr-su01")] == 4 * 8
    assert all(u == "ndr-su03" for (rack, u) in unit_of if rack != "C01")
    assert {(c.b_device, c.b_port) for c in rails if c.a_rack == "C01"} == freed
    ends: set[tuple[str, str]] = set()
    for c in plan.cables:
        for end in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
            assert end not in ends, end
            ends.add(end)
    before = {
        d["id"]: (d["rack"], d["u"])
        for d in json.loads((GEN1_PLAN / "plan.json").read_bytes())["devices"]
    }
    after = {d.id: (d.rack, d.u) for d in plan.placement.devices}
    assert all(after[k] == v for k, v in before.items() if k in after)
    units = Counter(  # a device's U is its top unit
        (d.rack, u) for d in plan.placement.devices for u in range(d.u - d.height_u + 1, d.u + 1)
    )
    assert max(units.values()) == 1


def test_a_fabric_connects_the_server_models_it_names():
    """Both generations' servers have a NIC group named 'compute': without
    ``server_models`` one fabric would take both (and refuse them: 8 x 400G against
    72 x 800G); a model no server group has is refused by name."""
    sc = topo.load_scenario(GEN2)
    ndr, xdr, oob = sc.fabrics
    both = ndr.model_copy(update={"server_models": None})
    with pytest.raises(FabricError, match="nvl72-gb300-rack") as err:
        topo.plan(sc.model_copy(update={"fabrics": (both, xdr, oob)}))
    assert [p.location for p in err.value.problems] == ["fabrics.0.nics"]
    typo = xdr.model_copy(update={"server_models": ("nvl72-gb300",)})
    with pytest.raises(FabricError, match="'nvl72-gb300' is in no server group") as err:
        topo.plan(sc.model_copy(update={"fabrics": (ndr, typo, oob)}))
    assert [p.location for p in err.value.problems] == ["fabrics.1.server_models"]
    problems = topo.validate_scenario(sc.model_copy(update={"fabrics": (ndr, typo, oob)}))
    assert "fabrics.1.server_models" in [p.location for p in problems]
