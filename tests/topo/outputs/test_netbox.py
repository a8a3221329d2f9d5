"""NetBox bulk-import files: NetBox 4.x field names and choice values, and every cable
end an interface its device type defines."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from tests.conftest import EXAMPLE_NAMES
from topo.outputs.netbox import plan_to_netbox

# NetBox 4.x netbox/dcim/choices.py: CableTypeChoices (twinax, fibre, twisted pair values)
NETBOX_CABLE_TYPES = {
    "cat3", "cat5", "cat5e", "cat6", "cat6a", "cat7", "cat7a", "cat8", "mrj21-trunk",
    "dac-active", "dac-passive", "coaxial", "mmf", "mmf-om1", "mmf-om2", "mmf-om3",
    "mmf-om4", "mmf-om5", "smf", "smf-os1", "smf-os2", "aoc", "power", "usb",
}  # fmt: skip
# NetBox 4.x netbox/dcim/choices.py: InterfaceTypeChoices (the values topo may write)
NETBOX_INTERFACE_TYPES = {
    "1000base-t", "10gbase-x-sfpp", "25gbase-x-sfp28", "100gbase-x-qsfp28",
    "100gbase-x-qsfpdd", "200gbase-x-qsfp56", "200gbase-x-qsfpdd", "400gbase-x-qsfpdd",
    "400gbase-x-qsfp112", "400gbase-x-osfp", "800gbase-x-osfp", "800gbase-x-qsfpdd",
    "infiniband-edr-4x", "infiniband-hdr-4x", "infiniband-ndr-4x", "infiniband-xdr-4x",
    "other",
}  # fmt: skip
# NetBox 4.x LinkStatusChoices, CableLengthUnitChoices, DeviceStatusChoices,
# RackStatusChoices, DeviceFaceChoices, SiteStatusChoices, LocationStatusChoices
CABLE_STATUS = {"connected", "planned", "decommissioning"}
LENGTH_UNITS = {"km", "m", "cm", "mi", "ft", "in"}
DEVICE_STATUS = {
    "offline", "active", "planned", "staged", "failed", "inventory", "decommissioning",
}  # fmt: skip
RACK_STATUS = {"reserved", "available", "planned", "active", "deprecated"}
FACES = {"front", "rear"}
# NetBox 4.x bulk-import field names (netbox/dcim/forms/bulk_import.py)
HEADERS = {
    "01-sites.csv": ["name", "slug", "status", "description"],
    "02-locations.csv": ["site", "name", "slug", "status", "description"],
    "03-manufacturers.csv": ["name", "slug"],
    "04-device-roles.csv": ["name", "slug", "color"],
    "06-racks.csv": ["site", "location", "name", "status", "u_height", "width", "facility_id"],
    "07-devices.csv": [
        "name", "role", "manufacturer", "device_type", "site", "location", "rack", "position",
        "face", "status",
    ],
    "08-cables.csv": [
        "side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type",
        "side_b_name", "type", "status", "label", "color", "length", "length_unit",
    ],
}  # fmt: skip


def _csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode()))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_files_use_netbox_fields_and_choices(example_plans, name):
    plan = example_plans[name]
    files = plan_to_netbox(plan)
    assert set(files) == {*HEADERS, "05-device-types.yaml"}
    tables = {}
    for fname, header in HEADERS.items():
        got, rows = _csv(files[fname])
        assert got == header, fname
        tables[fname] = rows
    types = {d["model"]: d for d in yaml.safe_load_all(files["05-device-types.yaml"])}
    interfaces = {m: {i["name"] for i in d["interfaces"]} for m, d in types.items()}
    for d in types.values():
        assert {i["type"] for i in d["interfaces"]} <= NETBOX_INTERFACE_TYPES
        names = [i["name"] for i in d["interfaces"]]
        assert len(names) == len(set(names)), d["model"]
    racks = {r["name"] for r in tables["06-racks.csv"]}
    assert {r["status"] for r in tables["06-racks.csv"]} <= RACK_STATUS
    roles = {r["name"] for r in tables["04-device-roles.csv"]}
    makers = {r["name"] for r in tables["03-manufacturers.csv"]}
    devices = {}
    for d in tables["07-devices.csv"]:
        assert d["rack"] in racks and d["role"] in roles and d["manufacturer"] in makers
        assert d["device_type"] in types and d["status"] in DEVICE_STATUS
        assert d["face"] in FACES and int(d["position"]) >= 1
        devices[d["name"]] = d["device_type"]
    assert len(devices) == len(plan.placement.devices)
    cables = tables["08-cables.csv"]
    assert len(cables) == len(plan.cables)
    ends = set()
    for c in cables:
        assert c["type"] in NETBOX_CABLE_TYPES and c["status"] in CABLE_STATUS
        assert c["length_unit"] in LENGTH_UNITS | {""}
        for side in ("a", "b"):
            dev, iface = c[f"side_{side}_device"], c[f"side_{side}_name"]
            assert c[f"side_{side}_type"] == "dcim.interface"
            assert iface in interfaces[devices[dev]], (dev, iface)
            assert (dev, iface) not in ends, (dev, iface)  # one cable per interface
            ends.add((dev, iface))


def test_positions_are_the_bottom_unit(example_plans):
    plan = example_plans["ai-pod"]
    _, rows = _csv(plan_to_netbox(plan)["07-devices.csv"])
    by = {d.id: d for d in plan.placement.devices}
    for r in rows:
        d = by[r["name"]]
        assert int(r["position"]) == d.u - d.height_u + 1


def test_lengths_are_the_stock_lengths(example_plans):
    plan = example_plans["enterprise-hall"]
    _, rows = _csv(plan_to_netbox(plan)["08-cables.csv"])
    by_label = {c.label: c for c in plan.cables}
    for r in rows:
        assert float(r["length"]) * 1000 == by_label[r["label"]].stock_mm


def test_same_plan_same_bytes(example_plans):
    plan = example_plans["ai-pod"]
    assert plan_to_netbox(plan) == plan_to_netbox(plan)
