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


# The stages of DESIGN.md's data flow, lowest first. A module may import its own
# package's modules and anything on a lower level, never a higher one, nor a sibling
# package on its own level (fabric and routing know nothing of each other).
LEVELS: tuple[tuple[str, ...], ...] = (
    ("layouts",),
    ("topo.errors", "topo.model", "topo.summary"),
    ("topo.catalog", "topo.supervise"),
    ("topo.scenario", "topo.media"),
    ("topo.cables",),
    ("topo.power", "topo.sourcing"),
    ("topo.fabric", "topo.routing"),
    ("topo.placement",),
    ("topo.plan",),
    ("topo.outputs.svg",),
    ("topo.outputs",),
    ("topo.brownfield",),
    ("topo.planner",),
    ("topo",),
    ("topo.batch",),
    ("topo.cli",),
    ("topo.__main__",),
)


def _home(module: str) -> tuple[int, str]:
    """(level, group) of a module: the longest prefix LEVELS names."""
    best: tuple[int, str] | None = None
    for level, groups in enumerate(LEVELS):
        for g in groups:
            if (module == g or module.startswith(g + ".")) and (
                best is None or len(g) > len(best[1])
            ):
                best = (level, g)
    assert best is not None, f"{module} is on no level of LEVELS"
    return best


def _modules() -> dict[str, Path]:
    out = {}
    for package in ("topo", "layouts"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(module, names, line) of every absolute import of topo or layouts, lazy ones too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.module, tuple(a.name for a in node.names), node.lineno))
    return [i for i in out if i[0].split(".")[0] in {"topo", "layouts"}]


def test_every_import_goes_down_the_stages():
    mods = _modules()
    wrong = []
    for name, path in mods.items():
        level, group = _home(name)
        for target, names, line in _imports(path):
            # `from topo.fabric import build` names a module: judge the module
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods] or [target]
            for t in targets:
                t_level, t_group = _home(t)
                if t_level > level or (t_level == level and t_group != group):
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {t}")
    assert wrong == []


def test_no_private_name_is_imported_across_modules():
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {n} from {target}"
        for path in _modules().values()
        for target, names, line in _imports(path)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert found == []


def test_levels_name_every_module():
    for name in _modules():
        _home(name)
