"""Hostile and careless input: every case must be refused cleanly (CLI exit 2, API 4xx),
naming the problem, with nothing written; ids that are legal but awkward must come out
escaped in every file.

The corpus is :data:`CASES` (scenario text, checked through ``topo validate``, ``topo
plan`` and both API routes that read a scenario) plus the file and folder cases below.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from tests.api.conftest import make_settings
from topo.cli import app

ROOT = Path(__file__).resolve().parents[2]
BASE_TEXT = (ROOT / "examples" / "enterprise-hall.yaml").read_text(encoding="utf-8")
FLOOR = yaml.safe_load((ROOT / "layouts" / "data" / "enterprise-hall.yaml").read_text())
FLOOR.pop("description", None)
runner = CliRunner()


def _base() -> dict[str, Any]:
    return yaml.safe_load(BASE_TEXT)


def _with(change: Callable[[dict[str, Any]], None]) -> str:
    data = _base()
    data["floor"] = copy.deepcopy(FLOOR)
    change(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _switch(ports: list[dict[str, Any]], sid: str = "big") -> dict[str, Any]:
    return {"id": sid, "name": sid, "height_u": 1, "power_w": 100, "cost_usd": 1, "ports": ports}


def _media(**over: Any) -> dict[str, Any]:
    m = {"id": "m1", "kind": "dac", "speed_gbps": 25, "reach_m": 5, "od_mm": 5,
         "stock_lengths_m": [1, 2, 3], "cable_sku": "DAC-X"}  # fmt: skip
    m.update(over)
    return m


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = data
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _rows(n: int) -> Callable[[dict[str, Any]], None]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ids = [a + b + c for a in letters for b in letters for c in letters][:n]

    def change(data: dict[str, Any]) -> None:
        data["floor"]["rows"] = [
            {"id": i, "origin": [1.8, 1.8], "count": 99} for i in ids
        ]  # fmt: skip

    return change


def _nested(depth: int) -> str:
    return BASE_TEXT + "extra: " + "[" * depth + "]" * depth + "\n"


# (name, scenario text, a phrase the refusal must contain)
CASES: list[tuple[str, str, str]] = [
    # 1. unbounded work from a small input
    (
        "billion-ports",
        _with(
            lambda d: d.update(
                catalog={"switches": [_switch([{"count": 1_000_000_000, "speed_gbps": 100}])]}
            )
        ),
        "TOPO_MAX_PORTS_PER_SWITCH",
    ),
    (
        "breakout-ports",
        _with(
            lambda d: d.update(
                catalog={
                    "switches": [
                        _switch([{"count": 1000, "speed_gbps": 400, "breakout": {100: 8}}])
                    ]
                }
            )
        ),
        "8,000 ports",
    ),
    ("too-many-racks", _with(_rows(203)), "20,097 racks is more than the limit 20,000"),
    # 3. crashes instead of answers
    ("huge-integer", BASE_TEXT.replace("count: 4", "count: " + "9" * 5000), "digits"),
    ("huge-seed", BASE_TEXT.replace("seed: 0", "seed: " + "1" * 40), "TOPO_MAX_NUMBER"),
    ("tray-1e300", _with(_set("floor.trays.0.width", 1e300)), "TOPO_MAX_NUMBER"),
    ("negative-1e300", _with(_set("floor.outline.0.0", -1e300)), "TOPO_MAX_NUMBER"),
    ("nan-width", _with(_set("floor.trays.0.width", float("nan"))), "finite"),
    (
        "inf-reach",
        _with(lambda d: d.update(catalog={"media": [_media(reach_m=float("inf"))]})),
        "finite",
    ),
    (
        "inf-stock",
        _with(lambda d: d.update(catalog={"media": [_media(stock_lengths_m=[1, float("inf")])]})),
        "finite",
    ),
    (
        "inf-diameter",
        _with(lambda d: d.update(catalog={"media": [_media(od_mm=float("inf"))]})),
        "finite",
    ),
    ("nested-500", _nested(500), "nested"),
    ("nested-5000", _nested(5000), "nested"),
    # 4. silently accepted before
    ("duplicate-key", BASE_TEXT + "name: other\n", "duplicate key 'name'"),
    (
        "duplicate-nested-key",
        BASE_TEXT.replace("  per_rack: 12", "  per_rack: 12\n  per_rack: 8"),
        "duplicate key 'per_rack'",
    ),
    (
        "duplicate-catalog-ids",
        _with(lambda d: d.update(catalog={"media": [_media(), _media()]})),
        "more than once",
    ),
    (
        "duplicate-switch-ids",
        _with(
            lambda d: d.update(
                catalog={
                    "switches": [
                        _switch([{"count": 4, "speed_gbps": 100}], "s"),
                        _switch([{"count": 8, "speed_gbps": 100}], "s"),
                    ]
                }
            )
        ),
        "more than once",
    ),
    (
        "zero-stock",
        _with(lambda d: d.update(catalog={"media": [_media(stock_lengths_m=[0, 2])]})),
        "greater than 0",
    ),
    (
        "negative-stock",
        _with(lambda d: d.update(catalog={"media": [_media(stock_lengths_m=[-3])]})),
        "greater than 0",
    ),
    ("tray-id-separator", _with(_set("floor.trays.0.id", "T > A")), "' > '"),
    ("tray-id-range", _with(_set("floor.trays.0.id", "T..A")), "'..'"),
    ("keepout-id-newline", _with(_set("floor.keepouts.0.id", "C\n1")), "control character"),
    ("tray-id-nul", _with(_set("floor.trays.1.id", "T\x00B")), "control character"),
    (
        "media-id-escape",
        _with(lambda d: d.update(catalog={"media": [_media(id="m\x1b[31m")]})),
        "control character",
    ),
    # the schema
    (
        "peer-links-false",
        BASE_TEXT.replace(
            "placement: top-of-rack", "placement: top-of-rack\n    peer_links: false"
        ),
        "peer_links",
    ),
    ("not-a-mapping", "- just\n- a list\n", "mapping"),
    (
        "alias-bomb",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: [*f, *f, *f, *f, *f, *f, *f, *f]\n",
        "",
    ),
    ("malformed-yaml", "name: [unclosed\n", "malformed YAML"),
]


@pytest.mark.parametrize(("name", "text", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses(tmp_path: Path, name: str, text: str, phrase: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    for args in (["validate", str(path)], ["plan", str(path), "-o", str(out), "-q"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert phrase in result.output, result.output
        assert "Traceback" not in result.output
    assert not out.exists()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("api"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(("name", "text", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_api_refuses(client: TestClient, name: str, text: str, phrase: str) -> None:
    headers = {"content-type": "application/yaml"}
    before = client.get("/v1/plans").json()
    for route in ("/v1/scenarios/validate", "/v1/plans"):
        r = client.post(route, content=text.encode("utf-8"), headers=headers)
        assert 400 <= r.status_code < 500, (route, r.status_code, r.text[:500])
        assert phrase in r.text, r.text[:1000]
    assert client.get("/v1/plans").json() == before


JSON_CASES = [
    ("json-huge-integer", '{"name": "x", "seed": ' + "9" * 5000 + "}", "too long"),
    ("json-nested", '{"name": "x", "extra": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
    ("json-nan", '{"name": "x", "options": {"time_limit_s": NaN}}', "finite"),
    ("json-not-an-object", "[1, 2, 3]", "mapping"),
]


@pytest.mark.parametrize(("name", "text", "phrase"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_api_refuses_json(client: TestClient, name: str, text: str, phrase: str) -> None:
    for route in ("/v1/scenarios/validate", "/v1/plans"):
        r = client.post(route, content=text.encode(), headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, (route, r.status_code, r.text[:500])
        assert phrase in r.text, r.text[:1000]


# -- files and folders (CLI) ----------------------------------------------------------------


def _scenario_with_floor(tmp_path: Path, floor_ref: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(BASE_TEXT.replace("floor: enterprise-hall", f"floor: {floor_ref}"))
    return path


@pytest.mark.parametrize(
    ("floor_ref", "phrase"),
    [
        ("/dev/zero", "not a regular file"),
        ("/dev/urandom", "not a regular file"),
        ("/tmp", "is a directory"),
        ("./nowhere.yaml", "not found"),
        ("./big.yaml", "TOPO_MAX_FILE_BYTES"),
        ("./binary.yaml", "not UTF-8"),
        ("./huge-tray.yaml", "TOPO_MAX_NUMBER"),
        ("./dup.yaml", "duplicate key 'name'"),
        ("./sep.yaml", "' > '"),
    ],
)
def test_cli_refuses_floor_files(tmp_path: Path, floor_ref: str, phrase: str) -> None:
    with (tmp_path / "big.yaml").open("wb") as f:
        f.truncate(17 * 1024 * 1024)  # sparse: larger than the limit, costs no disk
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    floor = copy.deepcopy(FLOOR)
    floor["trays"][0]["width"] = 1e300
    (tmp_path / "huge-tray.yaml").write_text(yaml.safe_dump(floor))
    (tmp_path / "dup.yaml").write_text("name: a\nname: b\n")
    floor["trays"][0].update(width=0.3, id="T > 1")
    (tmp_path / "sep.yaml").write_text(yaml.safe_dump(floor))
    path = _scenario_with_floor(tmp_path, floor_ref)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert phrase in result.output


def test_cli_refuses_scenario_that_is_a_device(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "/dev/zero"])
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output


def test_size_limit_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from layouts import limits

    monkeypatch.setattr(limits, "LIMITS", limits.Limits(max_file_bytes=100))
    path = tmp_path / "s.yaml"
    path.write_text(BASE_TEXT)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "more than the limit 100 (TOPO_MAX_FILE_BYTES)" in result.output


# -- legal but awkward ids come out escaped -------------------------------------------------

NASTY = {
    "tray": '=T"><script>alert(1)</script>',
    "keepout": "+C1' onmouseover='alert(2)",
    "cross": "@X&amp;<b>",
}


@pytest.fixture(scope="module")
def nasty_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("nasty")

    def change(d: dict[str, Any]) -> None:
        d["floor"]["trays"][0]["id"] = NASTY["tray"]
        d["floor"]["keepouts"][0]["id"] = NASTY["keepout"]
        d["floor"]["trays"][4]["id"] = NASTY["cross"]
        d["floor"]["name"] = "-DH1"

    path = tmp / "nasty.yaml"
    path.write_text(_with(change), encoding="utf-8")
    out = tmp / "out"
    result = runner.invoke(app, ["plan", str(path), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _no_script(svg: str) -> None:
    root = ET.fromstring(svg)  # well-formed XML
    for el in root.iter():
        assert not el.tag.endswith("script"), el.tag
        for attr in el.attrib:
            assert not attr.lower().startswith("on"), (el.tag, attr)


def test_svg_of_nasty_ids_is_inert(nasty_plan: Path) -> None:
    svg = (nasty_plan / "floor.svg").read_text(encoding="utf-8")
    _no_script(svg)
    root = ET.fromstring(svg)
    trays = {el.attrib.get("data-tray") for el in root.iter() if "data-tray" in el.attrib}
    assert NASTY["tray"] in trays  # the id survives, as text
    keepouts = {el.attrib.get("data-keepout") for el in root.iter()}
    assert NASTY["keepout"] in keepouts


def test_highlighted_drawing_of_nasty_ids_is_inert(nasty_plan: Path, tmp_path: Path) -> None:
    target = tmp_path / "d.svg"
    result = runner.invoke(app, ["draw", str(nasty_plan), "--rack", "B05", "-o", str(target)])
    assert result.exit_code == 0, result.output
    _no_script(target.read_text(encoding="utf-8"))


def _cells(text: str) -> Iterator[str]:
    for row in csv.reader(io.StringIO(text)):
        yield from row


def test_csv_cells_never_start_a_formula(nasty_plan: Path) -> None:
    seen_nasty = False
    for name in ("cables.csv", "trays.csv", "bom.csv"):
        for cell in _cells((nasty_plan / name).read_text(encoding="utf-8")):
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                pytest.fail(f"{name}: cell {cell!r} starts a formula")
            if cell.startswith("-"):
                float(cell)  # only numbers may start with '-'
            seen_nasty |= cell.startswith("'=T")
    assert seen_nasty  # the tray id is still there, neutralised


def test_scenario_yaml_keeps_ids_verbatim(nasty_plan: Path) -> None:
    data = yaml.safe_load((nasty_plan / "scenario.yaml").read_text(encoding="utf-8"))
    ids = {t["id"] for t in data["floor"]["trays"]} | {k["id"] for k in data["floor"]["keepouts"]}
    assert {NASTY["tray"], NASTY["keepout"], NASTY["cross"]} <= ids


# -- output folders (CLI): checked before anything is computed ------------------------------


@pytest.mark.parametrize("command", ["plan", "draw", "batch"])
def test_output_in_the_way_is_refused_before_planning(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    scenario = ROOT / "examples" / "enterprise-hall.yaml"
    sweep = ROOT / "examples" / "sweep-leaf-placement.yaml"
    target = {
        "plan": ["plan", str(scenario), "-o", str(blocker / "out")],
        "draw": ["draw", str(scenario), "-o", str(blocker / "x.svg")],
        "batch": ["batch", str(sweep), "-o", str(blocker)],
    }[command]
    result = runner.invoke(app, target)
    assert result.exit_code == 2, result.output
    assert str(blocker) in result.output.replace("\n", "")
    assert blocker.read_text() == "keep me"


def test_unwritable_output_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root may write anywhere but under /proc
    target = locked / "out" if not os.access(locked, os.W_OK) else Path("/proc/topo-out")
    try:
        result = runner.invoke(
            app, ["plan", str(ROOT / "examples" / "enterprise-hall.yaml"), "-o", str(target)]
        )
        assert result.exit_code == 2, result.output
        assert "not writable" in result.output
        assert not target.exists()
    finally:
        locked.chmod(0o700)


def test_sweep_of_too_many_variants_is_refused_before_building_any(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    base = ROOT / "examples" / "enterprise-hall.yaml"
    axes = {f"options.{k}": list(range(1, 11)) for k in ("seed", "threads", "dress_m", "slack_m")}
    sweep.write_text(yaml.safe_dump({"base": str(base), "axes": axes}))
    out = tmp_path / "runs"
    result = runner.invoke(app, ["batch", str(sweep), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "10,000 variants is more than the limit 1,000 (TOPO_MAX_VARIANTS)" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("limit", "value", "phrase"),
    [
        ("max_devices", 100, "456 servers is more than the limit 100 (TOPO_MAX_DEVICES)"),
        ("max_devices", 470, "is more than the limit 470 (TOPO_MAX_DEVICES)"),
        ("max_cables", 1000, "1,216 links is more than the limit 1,000 (TOPO_MAX_CABLES)"),
    ],
)
def test_fabric_size_limits_are_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, phrase: str
) -> None:
    """The enterprise hall builds 456 servers, 42 switches and 1,216 links: each limit
    below those is refused before anything is placed, by validate and by plan."""
    from layouts import limits

    monkeypatch.setattr(limits, "LIMITS", limits.Limits(**{limit: value}))
    path = tmp_path / "s.yaml"
    path.write_text(BASE_TEXT)
    for args in (["validate", str(path)], ["plan", str(path), "-o", str(tmp_path / "o")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert phrase in result.output
    assert not (tmp_path / "o").exists()
