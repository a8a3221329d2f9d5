"""The plan viewer: a browser page served beside the API, and ``topo view`` for a folder.

::

    GET /                        the viewer page (plain HTML, CSS and ES modules, offline)
    GET /static/{file}           its assets, shipped in api/static/
    GET /v1/sweep                a batch's summary.csv rows, each with its variant's plan id
    GET /v1/sweep/compare.svg    the batch's comparison chart

The page and its assets are open to everyone; every piece of data comes from the API and
needs the API key when the server has keys (the page asks for it). :func:`install` adds
all of it to an application. :func:`serve_folder` serves a folder written by ``topo plan``
or ``topo batch`` on loopback: it stores the folder's plan(s) in a plan store of its own,
then serves the API and the viewer on it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

import topo
from api.deps import API_KEY
from api.errors import NotFound
from api.jobs import media_type_of
from api.plan_index import PlanIndexCache
from api.routes import error_responses, explore
from api.store import PlanStore, StoredPlan
from topo.errors import Problem, TopoError
from topo.outputs.exports import OUTPUT_FILES

__all__ = [
    "STATIC_DIR",
    "SweepPublic",
    "import_plan_folder",
    "import_sweep_folder",
    "install",
    "serve_folder",
]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
"""The viewer's page and assets."""

page_router = APIRouter(include_in_schema=False)
sweep_router = APIRouter(prefix="/sweep", tags=["plans"])


@page_router.get("/")
def viewer_page() -> FileResponse:
    """The viewer's single page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


def _sweep(request: Request) -> dict[str, Any]:
    sweep: dict[str, Any] | None = getattr(request.app.state, "viewer_sweep", None)
    if sweep is None:
        raise NotFound(Problem("sweep", "this server shows no batch; run `topo view RUNS_DIR`"))
    return sweep


class SweepPublic(BaseModel):
    """A batch's ``summary.csv``, each row with the id of its variant's stored plan."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The runs folder's name.")
    columns: list[str] = Field(description="summary.csv's header.")
    rows: list[dict[str, str | None]] = Field(
        description="One object a variant: its summary.csv values, and plan_id (null when "
        "the variant was not planned)."
    )


@sweep_router.get(
    "",
    response_model=SweepPublic,
    summary="The batch this server shows",
    responses=error_responses(404),
)
def sweep_summary(request: Request) -> dict[str, Any]:
    """The batch's ``summary.csv``: its columns and one object a variant, with the id of
    the variant's stored plan (null when the variant failed)."""
    sweep = _sweep(request)
    return {"name": sweep["name"], "columns": sweep["columns"], "rows": sweep["rows"]}


@sweep_router.get(
    "/compare.svg",
    summary="The batch's comparison chart",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}},
        **error_responses(404),
    },
)
def sweep_chart(request: Request) -> Response:
    """The batch's ``compare.svg``, Pareto front highlighted."""
    return Response(_sweep(request)["chart"], media_type=media_type_of("compare.svg"))


def install(app: FastAPI) -> None:
    """Add the viewer page, its assets and its JSON routes to ``app``."""
    app.state.plan_indexes = PlanIndexCache()
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="viewer-static")
    for router in (explore.router, sweep_router):
        app.include_router(
            router, prefix="/v1", dependencies=[API_KEY], responses=error_responses(401, 413)
        )


# -- serving a folder ----------------------------------------------------------------------


def import_plan_folder(store: PlanStore, folder: Path) -> StoredPlan:
    """Store the plan a ``topo plan`` run wrote into ``folder`` as a done plan.

    Raises:
        TopoError: the folder lacks ``plan.json`` or ``cables.csv``.
    """
    missing = [n for n in ("plan.json", "cables.csv") if not (folder / n).is_file()]
    if missing:
        raise TopoError(
            [Problem(str(folder), f"not a plan folder: it has no {', '.join(missing)}")]
        )
    files = {
        name: (media_type_of(name), (folder / name).read_bytes())
        for name in OUTPUT_FILES
        if (folder / name).is_file()
    }
    plan = json.loads(files["plan.json"][1])
    scenario_file = files.get("scenario.yaml")
    scenario = yaml.safe_load(scenario_file[1]) if scenario_file else {}
    digest = hashlib.sha256(b"".join(content for _, content in files.values())).hexdigest()
    summary = plan.get("summary", {})
    record = store.create(
        name=str(summary.get("scenario") or folder.name),
        digest=digest,
        scenario=scenario if isinstance(scenario, dict) else {},
        topo_version=topo.__version__,
    )
    store.finish(
        record.id,
        summary=summary,
        diagnostics=plan.get("diagnostics", []),
        notes=plan.get("notes", []),
        files=files,
    )
    return record


def import_sweep_folder(store: PlanStore, folder: Path) -> dict[str, Any]:
    """Store every planned variant of the batch ``topo batch`` wrote into ``folder``.

    Returns what the sweep routes serve (set it as ``app.state.viewer_sweep``): the
    batch's name, ``summary.csv``'s columns and rows (each with its variant's ``plan_id``,
    None when the variant was not planned) and ``compare.svg``.
    """
    text = (folder / "summary.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict[str, Any]] = []
    for row in reader:
        variant = folder / row["variant"]
        plan_id = None
        if row.get("status") == "ok" and (variant / "plan.json").is_file():
            plan_id = import_plan_folder(store, variant).id
        rows.append({**row, "plan_id": plan_id})
    chart = folder / "compare.svg"
    return {
        "name": folder.resolve().name,
        "columns": list(reader.fieldnames or []),
        "rows": rows,
        "chart": chart.read_bytes()
        if chart.is_file()
        else b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    }


def serve_folder(folder: Path, *, port: int, echo: Any = print) -> None:
    """Serve a ``topo plan`` or ``topo batch`` output folder on 127.0.0.1:``port``.

    The folder's plan (or every variant of its batch) is stored in a temporary plan store;
    the address of the viewer is passed to ``echo`` before serving.

    Raises:
        TopoError: the folder is neither a plan folder nor a batch folder.
    """
    import uvicorn

    from api.config import Settings
    from api.main import create_app

    if not folder.is_dir():
        raise TopoError([Problem(str(folder), "no such folder")])
    with tempfile.TemporaryDirectory(prefix="topo-view-") as tmp:
        settings = Settings(db_path=Path(tmp) / "plans.db")
        store = PlanStore(settings.database_url_or_default())
        try:
            if (folder / "summary.csv").is_file():
                sweep = import_sweep_folder(store, folder)
                where = "#/sweep"
            else:
                sweep = None
                where = f"#/plan/{import_plan_folder(store, folder).id}"
        finally:
            store.close()
        app = create_app(settings)
        app.state.viewer_sweep = sweep
        echo(f"topo viewer: http://127.0.0.1:{port}/{where}  (Ctrl-C to stop)")
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
