"""The export formats: every view of a plan that ``topo export`` and the API hand out.

Each format is a pure function ``plan -> {file name: bytes}`` in its own module, loaded
only when asked for (so a format's library is imported by those who use it). A format
whose answer is one file is written to that file; one of several files, to a folder
(the API answers a zip).
"""

from __future__ import annotations

import importlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from topo.errors import Problem, TopoError
from topo.plan import Plan

__all__ = ["FORMATS", "ExportFormat", "export_plan", "write_export", "zip_files"]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: what ``--to`` takes, e.g. ``netbox``.
        title: a line for ``--help`` and the API's description.
        module, function: where its ``plan -> {file: bytes}`` function lives.
        single: the format is one file (``-o`` names the file), else a folder.
        media_type: of the single file (the API answers ``application/zip`` otherwise).
        suffix: the single file's usual suffix.
    """

    name: str
    title: str
    module: str
    function: str
    single: bool
    media_type: str = "application/zip"
    suffix: str = ""

    def load(self) -> Callable[[Plan], Mapping[str, bytes]]:
        fn: Callable[[Plan], Mapping[str, bytes]] = getattr(
            importlib.import_module(self.module), self.function
        )
        return fn


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "netbox",
            "NetBox 4.x bulk-import files: site, room, racks, device types, devices, cables",
            "topo.outputs.netbox",
            "plan_to_netbox",
            single=False,
        ),
        ExportFormat(
            "avd",
            "Arista AVD eos_designs inputs for the Ethernet fabrics",
            "topo.outputs.avd",
            "plan_to_avd",
            single=False,
        ),
        ExportFormat(
            "containerlab",
            "containerlab topology of the switches and their links",
            "topo.outputs.containerlab",
            "plan_to_containerlab",
            single=True,
            media_type="application/yaml",
            suffix=".clab.yml",
        ),
        ExportFormat(
            "xlsx",
            "installer workbook: sheets per tier and row, pull lists per tray run, labels",
            "topo.outputs.workbook",
            "plan_to_xlsx",
            single=True,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            suffix=".xlsx",
        ),
        ExportFormat(
            "dxf",
            "DXF drawing in metres: room, keep-outs, racks by role, trays by fill, routes",
            "topo.outputs.dxf",
            "plan_to_dxf",
            single=True,
            media_type="image/vnd.dxf",
            suffix=".dxf",
        ),
        ExportFormat(
            "geojson",
            "GeoJSON of the floor: room, keep-outs, racks, trays by fill, routes by tier",
            "topo.outputs.geojson",
            "plan_to_geojson",
            single=True,
            media_type="application/geo+json",
            suffix=".geojson",
        ),
    )
}
"""Every export format, by name."""


def export_plan(plan: Plan, to: str) -> dict[str, bytes]:
    """The files of ``plan`` in format ``to``, by relative file name.

    Raises:
        TopoError: an unknown format, or one the plan cannot be expressed in
            (:class:`topo.errors.ExportError`, naming why).
    """
    fmt = FORMATS.get(to)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise TopoError(Problem("to", f"no export format {to!r}; topo exports {known}", to))
    return dict(fmt.load()(plan))


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """The files in one zip, byte-identical for the same files (fixed dates, sorted)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    return buf.getvalue()


def write_export(files: Mapping[str, bytes], out: str | Path, *, single: bool) -> list[Path]:
    """Write an export, all or nothing: a single-file format to the file ``out``, any
    other into the folder ``out`` (sub-folders as the file names say). Files are written
    beside their target first and then moved in, so an error leaves nothing half-written.
    """
    target = Path(out)
    if single:
        ((name, data),) = files.items()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".topo-", dir=target))
    try:
        for name, data in files.items():
            path = stage / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        written = []
        for name in sorted(files):
            final = target / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, final)
            written.append(final)
        return written
    finally:
        shutil.rmtree(stage, ignore_errors=True)
