"""GET /v1/plans/{id}/export/{fmt}: the bytes `topo export` writes, zipped where several."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from tests.api.conftest import DEFAULT_SCENARIO, YAML
from topo.cli import app as cli
from topo.outputs.formats import FORMATS


def test_every_format_is_served_as_the_cli_writes_it(client, scenario_yaml, tmp_path: Path):
    body = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
    planned = tmp_path / "plan"
    r = CliRunner().invoke(cli, ["plan", str(DEFAULT_SCENARIO), "-o", str(planned), "-q"])
    assert r.exit_code == 0, r.output
    for fmt in sorted(FORMATS):
        spec = FORMATS[fmt]
        out = tmp_path / (f"{fmt}{spec.suffix}" if spec.single else fmt)
        r = CliRunner().invoke(cli, ["export", str(planned), "--to", fmt, "-o", str(out), "-q"])
        assert r.exit_code == 0, r.output
        got = client.get(f"/v1/plans/{body['id']}/export/{fmt}")
        assert got.status_code == 200, (fmt, got.text)
        assert "attachment" in got.headers["content-disposition"]
        if spec.single:
            assert got.headers["content-type"].startswith(spec.media_type)
            assert got.content == out.read_bytes(), fmt
        else:
            assert got.headers["content-type"] == "application/zip"
            with zipfile.ZipFile(io.BytesIO(got.content)) as z:
                served = {n: z.read(n) for n in z.namelist()}
            written = {
                str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()
            }
            assert served == written, fmt


def test_unknown_format_and_unknown_plan_are_404(client, scenario_yaml):
    body = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
    r = client.get(f"/v1/plans/{body['id']}/export/visio")
    assert r.status_code == 404 and "visio" in r.text
    r = client.get("/v1/plans/nope/export/containerlab")
    assert r.status_code == 404


def test_a_plan_a_format_cannot_express_is_a_422(client, scenario_yaml):
    """An InfiniBand-only plan has nothing for AVD: a 422 saying why, no file."""
    ib = b"""name: ib-only
floor: ai-hall
servers:
  - {model: gpu-8x400g-8u, per_rack: 4, racks: [A01, A02]}
fabrics:
  - name: compute
    kind: rail-optimized
    nics: compute
    rails: 8
    su_nodes: 8
    leaf: {model: ib-64x400g-1u}
    spine: {model: ib-64x400g-1u}
"""
    r = client.post("/v1/plans", content=ib, headers=YAML)
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/plans/{r.json()['id']}/export/avd")
    assert got.status_code == 422, got.text
    assert "Ethernet" in got.text or "InfiniBand" in got.text
