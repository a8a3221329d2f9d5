"""The layers of DESIGN.md: ``layouts`` knows nothing of networks, ``topo`` nothing of
HTTP (not even a lazy import); ``topo serve`` and ``topo view`` come from the API through
the ``topo.commands`` entry-point group."""

from __future__ import annotations

import ast
from pathlib import Path

from typer.testing import CliRunner

from topo.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _imported(package: str) -> dict[str, set[str]]:
    """Top-level packages each module of ``package`` imports, anywhere in its code."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_topo_never_imports_the_api():
    assert {m for m, names in _imported("topo").items() if "api" in names} == set()


def test_layouts_imports_neither_topo_nor_the_api():
    offenders = {m for m, names in _imported("layouts").items() if names & {"topo", "api"}}
    assert offenders == set()


def test_serve_and_view_come_from_the_api_entry_points():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output and "view" in result.output
    names = {c.name for c in app.registered_commands}
    assert {"serve", "view"} <= names
