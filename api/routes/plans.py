"""Plans as resources: post a scenario, follow the plan, download its files.

::

    POST   /v1/plans                    201 done within the budget, 202 accepted, 200 reused
    GET    /v1/plans                    newest first, paged
    GET    /v1/plans/{id}               status, progress, summary, diagnostics
    GET    /v1/plans/{id}/cables.csv    the bytes `topo plan` writes (one route per file;
                                        changes.csv, work_orders.csv on an installed plan)
    GET    /v1/plans/{id}/floor.svg     the drawing; ?cable=C000001&rack=A01&tier=leaf-spine
                                        highlight routes as `topo draw` does
    GET    /v1/plans/{id}/export/{fmt}  the plan for NetBox, AVD, containerlab, a workbook,
                                        DXF or GeoJSON (`topo export`); a zip where several files
    DELETE /v1/plans/{id}               204
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

import topo
from api.body import JSON_TYPES, YAML_TYPES, canonical
from api.deps import RunnerDep, ScenarioDep, SettingsDep, StoreDep
from api.errors import NotFound, NotReady, Unavailable
from api.installed import installed_files
from api.jobs import media_type_of
from api.routes import error_responses
from api.schemas import SCENARIO_REF, PlanPage, PlanProgress, PlanPublic, scenario_examples
from api.store import StoredPlan
from api.worker import draw_svg, export_files
from topo.errors import Problem, TopoError
from topo.outputs.exports import CHANGE_FILES, OUTPUT_FILES
from topo.outputs.formats import FORMATS, zip_files
from topo.outputs.read import PLAN_FILES
from topo.scenario import resolve_floor

__all__ = ["DOWNLOADS", "plan_public", "router"]

PREFIX = "/v1/plans"
router = APIRouter(prefix="/plans", tags=["plans"])

DOWNLOADS: tuple[str, ...] = (*OUTPUT_FILES, *CHANGE_FILES)
"""Output files served for a done plan: every file `topo plan` writes, by name (the
change files only for a plan built on an installed one)."""

log = logging.getLogger("topo.api")

SVG_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}
"""Headers every drawing is served with: no sniffing, no script, no loads, sandboxed."""

PlanId = Annotated[str, Path(description="The plan's id.", max_length=64)]


def _location(plan_id: str) -> str:
    return f"{PREFIX}/{plan_id}"


def _problems(items: list[dict[str, Any]]) -> list[Problem]:
    return [Problem(str(p.get("location", "")), str(p["message"]), p.get("value")) for p in items]


def plan_public(record: StoredPlan) -> PlanPublic:
    """A stored plan as the API shows it."""
    return PlanPublic.model_validate(
        {
            "id": record.id,
            "status": record.status,
            "scenario": record.scenario_name,
            "scenario_hash": record.scenario_hash,
            "topo_version": record.topo_version,
            "created_at": record.created_at,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "progress": PlanProgress(stage=record.stage, stages_done=record.stages_done),
            "summary": record.summary,
            "diagnostics": record.diagnostics,
            "notes": record.notes,
            "failure": record.failure,
            "reason": record.reason,
            "problems": record.problems,
            "files": {name: f"{_location(record.id)}/{name}" for name in record.files},
        }
    )


def _scenario_body() -> dict[str, Any]:
    examples = scenario_examples()
    schema = {"$ref": SCENARIO_REF}
    return {
        "required": True,
        "description": "A scenario, as JSON or as YAML (by Content-Type).",
        "content": {
            media: {"schema": schema, "examples": examples} for media in JSON_TYPES + YAML_TYPES
        },
    }


_LOCATION = {"Location": {"description": "URL path of the plan.", "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanPublic,
    summary="Plan a scenario",
    openapi_extra={"requestBody": _scenario_body()},
    responses={
        200: {
            "model": PlanPublic,
            "description": "An identical scenario was planned before: that plan.",
            "headers": _LOCATION,
        },
        201: {"description": "Planned within the budget: the plan.", "headers": _LOCATION},
        202: {
            "model": PlanPublic,
            "description": "Accepted: the plan runs in the background; follow Location.",
            "headers": _LOCATION,
        },
        **error_responses(400, 415, 422),
    },
)
def create_plan(
    scenario: ScenarioDep,
    response: Response,
    store: StoreDep,
    runner: RunnerDep,
    settings: SettingsDep,
    reuse: Annotated[
        bool, Query(description="Answer an identical scenario from its stored plan.")
    ] = True,
) -> PlanPublic:
    """Plan a scenario (JSON or YAML).

    A plan done within the server's budget (TOPO_SYNC_BUDGET_S) is answered at once with
    201 and its summary; a longer one is answered 202 and runs in the background: follow
    the Location header. A scenario identical to one planned before is answered 200 from
    the stored plan, unless `reuse=false`.

    A scenario with `existing: {plan: <id>}` is planned on top of that stored plan (it
    must be done; see `options.rewire`), and its plan also has `changes.csv` and
    `work_orders.csv`. A path as `existing` is refused: the API opens no path.
    """
    data, digest = canonical(scenario)
    if reuse:
        prior = store.find_reusable(digest, topo.__version__)
        if prior is not None:
            response.status_code = 200 if prior.status == "done" else 202
            response.headers["Location"] = _location(prior.id)
            return plan_public(prior)
    # an unknown layout or a file path is a 422 at once, before anything is stored
    resolve_floor(scenario, allow_paths=False)
    installed = installed_files(store, scenario)  # existing: a stored plan, done
    record = store.create(
        name=scenario.name, digest=digest, scenario=data, topo_version=topo.__version__
    )
    job = runner.submit(record.id, data, installed)
    response.headers["Location"] = _location(record.id)
    if not job.wait(settings.sync_budget_s):
        response.status_code = 202
        return plan_public(store.get(record.id) or record)
    done = store.get(record.id)
    if done is None:  # deleted meanwhile
        raise NotFound(Problem("id", f"plan {record.id!r} was deleted", record.id))
    if done.failure == "invalid":
        store.delete(record.id)
        raise TopoError(_problems(done.problems))
    if done.failure == "internal":
        raise RuntimeError(f"plan {record.id}: {done.reason}")
    return plan_public(done)


@router.get(
    "",
    response_model=PlanPage,
    summary="List plans, newest first",
    responses=error_responses(422),
)
def list_plans(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Plans per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Plans to skip.")] = 0,
) -> PlanPage:
    """Stored plans, newest first, a page at a time."""
    records, total = store.page(limit=limit, offset=offset)
    following = offset + len(records)
    return PlanPage(
        items=[plan_public(r) for r in records],
        total=total,
        limit=limit,
        offset=offset,
        next=f"{PREFIX}?limit={limit}&offset={following}" if following < total else None,
    )


def _get(store: StoreDep, plan_id: str) -> StoredPlan:
    record = store.get(plan_id)
    if record is None:
        raise NotFound(Problem("id", f"no plan {plan_id!r}", plan_id))
    return record


@router.get(
    "/{plan_id}",
    response_model=PlanPublic,
    summary="A plan: status, progress, summary",
    responses=error_responses(404, 422),
)
def get_plan(plan_id: PlanId, store: StoreDep) -> PlanPublic:
    """One plan: queued, running (with its stage), done (summary, diagnostics, file links)
    or failed (why, and every problem when the scenario could not be planned)."""
    return plan_public(_get(store, plan_id))


@router.delete(
    "/{plan_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a plan",
    responses=error_responses(404, 422),
)
def delete_plan(plan_id: PlanId, store: StoreDep, runner: RunnerDep) -> Response:
    """Delete a plan and its files; a queued or running plan is stopped first."""
    runner.cancel(plan_id)
    if not store.delete(plan_id):
        raise NotFound(Problem("id", f"no plan {plan_id!r}", plan_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _file_schema(name: str) -> dict[str, Any]:
    media = media_type_of(name).split(";")[0]
    if media == "application/json":
        return {media: {"schema": {"type": "object"}}}
    if name == "scenario.yaml":  # a YAML document: the scenario, floor inline
        return {media: {"schema": {"$ref": SCENARIO_REF}}}
    return {media: {"schema": {"type": "string"}}}


def _done(store: StoreDep, plan_id: str) -> StoredPlan:
    record = _get(store, plan_id)
    if record.status != "done":
        raise NotReady(
            Problem("status", f"plan {plan_id!r} is {record.status}; it has no files yet"
                    if record.status in ("queued", "running")
                    else f"plan {plan_id!r} failed; it has no files", record.status)
        )  # fmt: skip
    return record


def _download(name: str) -> Any:
    def download(plan_id: PlanId, store: StoreDep) -> Response:
        record = _done(store, plan_id)
        found = store.file(plan_id, name)
        if found is None:
            raise NotFound(
                Problem("file", f"plan {plan_id!r} has no file {name!r}; it has "
                        f"{', '.join(record.files)}", name)
            )  # fmt: skip
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
                **(SVG_HEADERS if name.endswith(".svg") else {}),
            },
        )

    download.__name__ = "download_" + name.replace(".", "_").replace("-", "_")
    download.__doc__ = f"The plan's `{name}`: the same bytes `topo plan` writes." + (
        " Only a plan built on an installed one (`existing`) has it; 404 for any other."
        if name in CHANGE_FILES
        else ""
    )
    return download


@router.get(
    "/{plan_id}/floor.svg",
    summary="Download floor.svg, optionally with cable routes highlighted",
    response_class=Response,
    responses={
        200: {"description": "`floor.svg`", "content": _file_schema("floor.svg")},
        **error_responses(404, 409, 422),
    },
)
def download_floor_svg(
    plan_id: PlanId,
    store: StoreDep,
    runner: RunnerDep,
    cable: Annotated[
        list[str] | None,
        Query(description="Highlight the route of this cable id (repeatable).", max_length=500),
    ] = None,
    rack: Annotated[
        str | None, Query(description="Highlight every cable of this rack.", max_length=64)
    ] = None,
    tier: Annotated[
        str | None, Query(description="Highlight every cable of this tier.", max_length=64)
    ] = None,
) -> Response:
    """The plan's floor drawing. Without options: the same bytes `topo plan` writes. With
    options: the drawing `topo draw --cable/--rack/--tier` makes, drawn from the plan
    read back from its stored files (never planned again)."""
    _done(store, plan_id)
    headers = {"Content-Disposition": 'attachment; filename="floor.svg"', **SVG_HEADERS}
    if not cable and rack is None and tier is None:
        found = store.file(plan_id, "floor.svg")
        if found is None:
            raise NotFound(Problem("file", f"plan {plan_id!r} has no file 'floor.svg'"))
        return Response(found.content, media_type=found.media_type, headers=headers)
    options = {"cables": tuple(cable or ()), "rack": rack, "tier": tier}
    stored = _stored_plan_files(store, plan_id)
    kind, payload = runner.run_in_child(draw_svg, stored, options, what="drawing")
    svg = _answer(kind, payload, plan_id, "drawing")
    return Response(svg, media_type=media_type_of("floor.svg"), headers=headers)


def _stored_plan_files(store: StoreDep, plan_id: str) -> dict[str, bytes]:
    files = {}
    for name in PLAN_FILES:
        found = store.file(plan_id, name)
        if found is None:
            raise NotFound(Problem("file", f"plan {plan_id!r} has no file {name!r}"))
        files[name] = found.content
    return files


def _answer(kind: str, payload: Any, plan_id: str, what: str) -> Any:
    """The payload of a child's ``("done", payload)``, or the error its answer means."""
    if kind == "done":
        return payload
    if kind == "problems":
        raise TopoError([Problem(**p) for p in payload])
    if kind in ("time-limit", "memory"):
        raise Unavailable(Problem(what, str(payload)))
    log.error("plan %s: %s failed:\n%s", plan_id, what, payload)
    raise RuntimeError(f"{what} failed")


@router.get(
    "/{plan_id}/export/{fmt}",
    summary="Export the plan for NetBox, AVD, containerlab, a workbook, DXF or GeoJSON",
    response_class=Response,
    responses={
        200: {
            "description": "The file `topo export --to FMT` writes; a zip of the files "
            "for netbox and avd.",
            "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                **{
                    f.media_type: {"schema": {"type": "string", "format": "binary"}}
                    for f in FORMATS.values()
                    if f.single
                },
            },
        },
        **error_responses(404, 409, 422),
    },
)
def export_plan_file(
    plan_id: PlanId,
    store: StoreDep,
    runner: RunnerDep,
    fmt: Annotated[
        str,
        Path(description="Format: " + ", ".join(FORMATS) + ".", max_length=32),
    ],
) -> Response:
    """The plan in another tool's format, read from its stored files (never planned
    again): the same bytes `topo export --to FMT` writes, zipped where it writes a folder."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise NotFound(
            Problem("fmt", f"no export format {fmt!r}; topo exports {', '.join(FORMATS)}", fmt)
        )
    _done(store, plan_id)
    stored = _stored_plan_files(store, plan_id)
    kind, payload = runner.run_in_child(export_files, stored, fmt, what="export")
    files = _answer(kind, payload, plan_id, "export")
    if spec.single:
        ((_, data),) = files.items()
        media, filename = spec.media_type, f"{plan_id}{spec.suffix}"
    else:
        data, media, filename = zip_files(files), "application/zip", f"{plan_id}-{fmt}.zip"
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


for _name in DOWNLOADS:
    if _name == "floor.svg":
        continue
    router.add_api_route(
        f"/{{plan_id}}/{_name}",
        _download(_name),
        methods=["GET"],
        summary=f"Download {_name}",
        response_class=Response,
        responses={
            200: {"description": f"`{_name}`", "content": _file_schema(_name)},
            **error_responses(404, 409, 422),
        },
    )
