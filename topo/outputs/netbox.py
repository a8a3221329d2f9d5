"""NetBox 4.x bulk-import files: the plan entered in the source of truth as planned.

Files, in import order (NetBox's *Import* page of each object type, CSV or YAML):

1. ``01-sites.csv``: the site (named after the scenario) and ``02-locations.csv``: the
   room (the floor's name);
2. ``03-manufacturers.csv``, ``04-device-roles.csv``;
3. ``05-device-types.yaml``: one YAML document per model, in the device-type library's
   format, with every interface the plan uses (and every front-panel port);
4. ``06-racks.csv``, ``07-devices.csv`` (rack, position = bottom unit, face front,
   status planned);
5. ``08-cables.csv``: ``side_a_device, side_a_type, side_a_name, side_b_device,
   side_b_type, side_b_name, type, status, label, color, length, length_unit``, one row a
   cable, both ends interfaces, status ``planned``, length the stock length in metres.

Interfaces are named as the catalog says each model names them
(:class:`topo.catalog.InterfaceNames`; by default ``Ethernet17`` / ``Ethernet17/2`` on
Ethernet switches, ``IB1/17`` / ``IB1/17/2`` on InfiniBand switches, ``Management1`` or
``mgmt0`` for a switch's management port, ``nic3`` and ``bmc`` on servers), the names
``cables.csv`` gives in ``a_interface`` and ``b_interface``. Interface types and cable types are
NetBox's choice values (``dcim/choices.py``: ``InterfaceTypeChoices``,
``CableTypeChoices``). CSV cells that a spreadsheet could run as formulas are written
with a leading apostrophe, as every topo CSV is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml

from topo.catalog import SERVER_NAMES, Server, SwitchModel
from topo.model import Device
from topo.outputs.exports import csv_text
from topo.plan import Plan

__all__ = [
    "CABLE_COLUMNS",
    "CABLE_TYPES",
    "DEVICE_COLUMNS",
    "RACK_COLUMNS",
    "interface_name",
    "interface_type",
    "plan_to_netbox",
]

SITE_COLUMNS = ("name", "slug", "status", "description")
LOCATION_COLUMNS = ("site", "name", "slug", "status", "description")
MANUFACTURER_COLUMNS = ("name", "slug")
ROLE_COLUMNS = ("name", "slug", "color")
RACK_COLUMNS = ("site", "location", "name", "status", "u_height", "width", "facility_id")
DEVICE_COLUMNS = (
    "name", "role", "manufacturer", "device_type", "site", "location", "rack", "position",
    "face", "status",
)  # fmt: skip
CABLE_COLUMNS = (
    "side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type",
    "side_b_name", "type", "status", "label", "color", "length", "length_unit",
)  # fmt: skip
"""NetBox 4.x cable bulk-import fields (``dcim/forms/bulk_import.py``, ``CableImportForm``)."""

CABLE_TYPES = {
    "dac": "dac-passive",
    "acc": "dac-active",
    "aoc": "aoc",
    "mmf": "mmf-om4",
    "smf": "smf-os2",
    "copper": "cat6a",
}
"""NetBox ``CableTypeChoices`` value of each topo media kind."""

ROLE_COLOURS = {
    "server": "2196f3",
    "leaf": "ffc107",
    "spine": "ff9800",
    "core": "f44336",
    "mgmt": "9e9e9e",
    "mgmt-agg": "607d8b",
    "appliance": "9c27b0",
}
TIER_COLOURS = {
    "server-leaf": "2196f3",
    "leaf-spine": "ffeb3b",
    "spine-core": "ff9800",
    "leaf-peer": "9c27b0",
    "device-mgmt": "9e9e9e",
    "mgmt-agg": "4caf50",
}

_ETHERNET_TYPES = {
    (1, "RJ45"): "1000base-t",
    (10, "SFP+"): "10gbase-x-sfpp",
    (25, "SFP28"): "25gbase-x-sfp28",
    (100, "QSFP28"): "100gbase-x-qsfp28",
    (100, "QSFP-DD"): "100gbase-x-qsfpdd",
    (200, "QSFP56"): "200gbase-x-qsfp56",
    (200, "QSFP-DD"): "200gbase-x-qsfpdd",
    (400, "QSFP-DD"): "400gbase-x-qsfpdd",
    (400, "QSFP112"): "400gbase-x-qsfp112",
    (400, "OSFP"): "400gbase-x-osfp",
    (800, "OSFP"): "800gbase-x-osfp",
    (800, "QSFP-DD"): "800gbase-x-qsfpdd",
}
"""NetBox ``InterfaceTypeChoices`` of a port by speed (Gb/s) and cage."""

_BY_SPEED = {
    1: "1000base-t",
    10: "10gbase-x-sfpp",
    25: "25gbase-x-sfp28",
    100: "100gbase-x-qsfp28",
    200: "200gbase-x-qsfp56",
    400: "400gbase-x-osfp",
    800: "800gbase-x-osfp",
}
_INFINIBAND = {100: "infiniband-edr-4x", 200: "infiniband-hdr-4x", 400: "infiniband-ndr-4x"}
_INFINIBAND[800] = "infiniband-xdr-4x"


def interface_name(model: SwitchModel | Server | None, port: str) -> str:
    """The interface name of a topo port (``17``, ``17.2``, ``mgmt``) on a device model:
    the catalog's naming (:class:`topo.catalog.InterfaceNames`).

    >>> interface_name(None, "mgmt"), interface_name(None, "03")
    ('bmc', 'nic3')
    """
    if model is None:
        return SERVER_NAMES.name(port)
    return model.interface_name(port)


def interface_type(model: SwitchModel | Server | None, port: str, speed_gbps: int) -> str:
    """NetBox's interface type of a port at a speed (``other`` when none fits)."""
    if port == "mgmt":
        return "1000base-t"
    if isinstance(model, SwitchModel):
        if model.infiniband:
            return _INFINIBAND.get(speed_gbps, "other")
        n = int(port.split(".")[0])
        for g in model.ports:
            if n <= g.count:
                cage = g.cage.replace("-twin", "")
                return _ETHERNET_TYPES.get((speed_gbps, cage), _BY_SPEED.get(speed_gbps, "other"))
            n -= g.count
    return _BY_SPEED.get(speed_gbps, "other")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "x"


def _device_types(
    model_ids: Iterable[str],
    models: Mapping[str, SwitchModel | Server],
    maker: Callable[[str], str],
) -> dict[str, tuple[str, str]]:
    """Each model's NetBox device type ``(model, slug)``, unique where NetBox needs it: a
    model name two ids share under one manufacturer gets its id in brackets, a slug two
    ids share gets ``-2``, ``-3``... in id order.

    >>> from topo.catalog import builtin_catalog
    >>> sw = builtin_catalog().switch_index
    >>> one = sw["sw-64x400g-1u"]
    >>> types = _device_types(["a.b", "a-b"], {"a.b": one, "a-b": one}, lambda _: "X")
    >>> types["a-b"][1], types["a.b"][1], types["a.b"][0].endswith("(a.b)")
    ('a-b', 'a-b-2', True)
    """
    ids = sorted(model_ids)
    name = {i: models[i].name if i in models else i for i in ids}
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for i in ids:
        shared[(maker(i), name[i])] += 1
    out: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    for i in ids:
        model = name[i] if shared[(maker(i), name[i])] == 1 else f"{name[i]} ({i})"
        slug, n = _slug(i), 1
        while slug in taken:
            n += 1
            slug = f"{_slug(i)}-{n}"
        taken.add(slug)
        out[i] = (model, slug)
    return out


def plan_to_netbox(plan: Plan) -> dict[str, bytes]:
    """NetBox bulk-import files for the plan (see the module docstring)."""
    cat = plan.catalog
    site = plan.scenario.name
    location = plan.floor.name or "hall"
    models: dict[str, SwitchModel | Server] = {
        **cat.server_index,
        **cat.switch_index,
    }
    devices = sorted(plan.placement.devices, key=lambda d: d.id)
    by_id = {d.id: d for d in devices}

    def maker(model_id: str) -> str:
        m = models.get(model_id)
        return (m.manufacturer if m is not None and m.manufacturer else None) or "Generic"

    # interfaces used on each model, with their types
    used: dict[str, dict[str, str]] = defaultdict(dict)
    cable_rows = []
    for c in sorted(plan.cables, key=lambda c: c.id):
        ends = []
        for dev, port in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
            model = models.get(by_id[dev].model) if dev in by_id else None
            name = interface_name(model, port)
            used[by_id[dev].model if dev in by_id else ""][name] = interface_type(
                model, port, c.speed_gbps
            )
            ends.append((dev, name))
        cable_rows.append(
            [
                ends[0][0], "dcim.interface", ends[0][1], ends[1][0], "dcim.interface", ends[1][1],
                CABLE_TYPES.get(c.kind, ""), "planned", c.label, TIER_COLOURS.get(c.tier, ""),
                f"{c.stock_mm / 1000:g}" if c.stock_mm else "", "m" if c.stock_mm else "",
            ]
        )  # fmt: skip
    for model_id in {d.model for d in devices}:
        m = models.get(model_id)
        if isinstance(m, SwitchModel):
            n = 0
            for g in m.ports:
                for _ in range(g.count):
                    n += 1
                    name = interface_name(m, f"{n:02d}")
                    used[model_id].setdefault(name, interface_type(m, str(n), g.speed_gbps))
            used[model_id].setdefault(m.interface_name("mgmt"), "1000base-t")
    files: dict[str, bytes] = {}

    def put(name: str, header: tuple[str, ...], rows: list[list[Any]]) -> None:
        files[name] = csv_text(header, rows).encode("utf-8")

    put("01-sites.csv", SITE_COLUMNS, [[site, _slug(site), "planned", "planned by topo"]])
    put(
        "02-locations.csv",
        LOCATION_COLUMNS,
        [[site, location, _slug(location), "planned", "the floor of the plan"]],
    )
    makers = sorted({maker(d.model) for d in devices})
    put("03-manufacturers.csv", MANUFACTURER_COLUMNS, [[m, _slug(m)] for m in makers])
    roles = sorted({d.role for d in devices})
    put(
        "04-device-roles.csv",
        ROLE_COLUMNS,
        [[r, _slug(r), ROLE_COLOURS.get(r, "9e9e9e")] for r in roles],
    )
    docs = []
    types = _device_types({d.model for d in devices}, models, maker)
    for model_id in sorted({d.model for d in devices}):
        m = models.get(model_id)
        ifaces = used.get(model_id, {})
        mgmt = interface_name(m, "mgmt")
        docs.append(
            {
                "manufacturer": maker(model_id),
                "model": types[model_id][0],
                "slug": types[model_id][1],
                "part_number": model_id,
                "u_height": m.height_u if m is not None else 1,
                "is_full_depth": True,
                "interfaces": [
                    {"name": n, "type": t, **({"mgmt_only": True} if n == mgmt else {})}
                    for n, t in sorted(ifaces.items(), key=lambda kv: _natural(kv[0]))
                ],
            }
        )
    files["05-device-types.yaml"] = yaml.safe_dump_all(
        docs, sort_keys=False, allow_unicode=True, explicit_start=True
    ).encode("utf-8")
    racks = [
        [site, location, r.id, "planned", r.height_u, 19, r.id]
        for r in sorted(plan.floor.racks, key=lambda r: r.id)
    ]
    put("06-racks.csv", RACK_COLUMNS, racks)
    put(
        "07-devices.csv",
        DEVICE_COLUMNS,
        [_device_row(d, site, location, maker(d.model), types[d.model][0]) for d in devices],
    )
    put("08-cables.csv", CABLE_COLUMNS, cable_rows)
    return files


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _device_row(
    d: Device,
    site: str,
    location: str,
    maker: str,
    model_name: str,
) -> list[Any]:
    bottom = d.u - d.height_u + 1 if d.u is not None else ""
    return [
        d.id, d.role, maker, model_name, site, location, d.rack or "", bottom, "front", "planned",
    ]  # fmt: skip
