"""The plan store on its own, on SQLite and, when TOPO_TEST_DATABASE_URL names one, on
another database (e.g. ``postgresql+psycopg://topo:topo@127.0.0.1/topo``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from api.store import PlanStore

URLS = ["sqlite"]
if os.environ.get("TOPO_TEST_DATABASE_URL"):
    URLS.append(os.environ["TOPO_TEST_DATABASE_URL"])


@pytest.fixture(params=URLS)
def store(request, tmp_path) -> Iterator[PlanStore]:
    url = f"sqlite:///{tmp_path / 'plans.db'}" if request.param == "sqlite" else request.param
    s = PlanStore(url)
    with s.engine.begin() as conn:  # a shared database starts empty
        conn.execute(text("DELETE FROM plan_files"))
        conn.execute(text("DELETE FROM plans"))
    yield s
    s.close()


def _new(store: PlanStore, name: str, digest: str = "a" * 64):
    return store.create(name=name, digest=digest, scenario={"name": name}, topo_version="1")


def test_a_plan_goes_from_queued_to_done_with_its_files(store):
    plan = _new(store, "hall")
    assert store.get(plan.id).status == "queued"  # type: ignore[union-attr]
    assert store.mark_running(plan.id)
    assert not store.mark_running(plan.id)  # only a queued plan starts
    store.progress(plan.id, "routing cables", 3)
    running = store.get(plan.id)
    assert (running.status, running.stage, running.stages_done) == ("running", "routing cables", 3)
    files = {"cables.csv": ("text/csv", b"a,b\n"), "plan.json": ("application/json", b"{}\n")}
    assert store.finish(plan.id, summary={"cables": 2}, diagnostics=[], notes=["n"], files=files)
    done = store.get(plan.id)
    assert done.status == "done"
    assert done.files == ("cables.csv", "plan.json")
    assert done.summary == {"cables": 2}
    assert done.finished_at.tzinfo is not None
    f = store.file(plan.id, "cables.csv")
    assert (f.media_type, f.content) == ("text/csv", b"a,b\n")
    assert store.file(plan.id, "bom.csv") is None
    assert store.scenario_of(plan.id) == {"name": "hall"}
    assert not store.fail(plan.id, failure="internal", reason="too late")  # done stays done


def test_reuse_finds_the_newest_live_plan_of_the_same_scenario(store):
    old = _new(store, "a")
    new = _new(store, "a")
    other = _new(store, "b", digest="b" * 64)
    assert store.find_reusable("a" * 64, "1").id == new.id  # type: ignore[union-attr]
    store.fail(new.id, failure="internal", reason="x")
    assert store.find_reusable("a" * 64, "1").id == old.id  # type: ignore[union-attr]
    assert store.find_reusable("a" * 64, "2") is None  # another topo version
    assert store.find_reusable("b" * 64, "1").id == other.id  # type: ignore[union-attr]


def test_pages_newest_first_and_deletes(store):
    ids = [_new(store, f"p{i}").id for i in range(5)]
    page, total = store.page(limit=2, offset=1)
    assert total == 5
    assert [p.id for p in page] == [ids[3], ids[2]]
    assert store.delete(ids[3])
    assert not store.delete(ids[3])
    assert [p.id for p in store.page(limit=10, offset=0)[0]] == ids[::-1][:1] + ids[2::-1]


def test_unfinished_plans_are_failed_in_one_go(store):
    queued, running, done = (_new(store, n) for n in "qrd")
    store.mark_running(running.id)
    store.mark_running(done.id)
    store.finish(done.id, summary={}, diagnostics=[], notes=[], files={})
    assert store.fail_unfinished("server stopped") == 2
    for plan_id in (queued.id, running.id):
        failed = store.get(plan_id)
        assert (failed.status, failed.failure, failed.reason) == (
            "failed",
            "interrupted",
            "server stopped",
        )
    assert store.get(done.id).status == "done"  # type: ignore[union-attr]
