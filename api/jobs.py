"""Running plans in the background: a pool of workers, each plan in its own process.

::

    POST /v1/plans ─> store.create (queued) ─> PlanRunner.submit ─> worker thread
                                                                     │ store.mark_running
                                                                     │ start_child(plan_outcome)
         child: topo.plan + render_plan ── pipe ── progress ───────> │ store.progress
                                           └──── its outcome ──────> │ store.finish / fail
                                                                     └ job.done is set

``workers`` threads each supervise one child at a time (:mod:`topo.supervise`), so at most
``workers`` plans run at once and the rest wait ``queued``. A child still running after
``time_limit_s`` is killed and its plan marked failed; so is a plan whose child dies.
Drawings, exports and validations run in children the same way, at most ``workers`` at
once (:meth:`PlanRunner.run_in_child`). Every child is forked from a fork server that has
topo imported: it starts in milliseconds.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from api.store import FailureKind, PlanStore
from api.worker import plan_outcome
from topo.supervise import Child, Outcome, process_context, start_child

__all__ = ["MEDIA_TYPES", "Job", "PlanRunner", "media_type_of"]

log = logging.getLogger("topo.api")

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".yaml": "application/yaml",
}
"""Media type of an output file, by suffix; anything else is served as octet-stream."""


def media_type_of(name: str) -> str:
    """The media type an output file is served with.

    Example:
        >>> media_type_of("cables.csv")
        'text/csv; charset=utf-8'
    """
    suffix = name[name.rfind(".") :] if "." in name else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


@dataclass(eq=False)
class Job:
    """One plan on its way: wait on :attr:`done` to know when it is stored."""

    plan_id: str
    data: dict[str, Any]
    installed: dict[str, bytes] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False
    child: Child | None = None
    future: Future[None] | None = None

    def wait(self, timeout: float | None) -> bool:
        """Whether the plan is stored (done or failed) within ``timeout`` seconds."""
        return self.done.wait(timeout)


class PlanRunner:
    """Runs plans in child processes, at most ``workers`` at once, and stores the results.

    Args:
        store: where progress and results are written.
        workers: plans run at the same time.
        time_limit_s: a plan still running after this long is stopped and fails.
        memory_limit_bytes: the address space of each child (``None``: no cap).
    """

    def __init__(
        self,
        store: PlanStore,
        *,
        workers: int,
        time_limit_s: float,
        memory_limit_bytes: int | None = None,
    ) -> None:
        self.store = store
        self.time_limit_s = time_limit_s
        self.memory_limit_bytes = memory_limit_bytes
        self._side_jobs = threading.BoundedSemaphore(workers)
        context = process_context(preload=("api.worker", "topo.outputs.drawing"))
        self._start = partial(start_child, memory_limit_bytes=memory_limit_bytes, context=context)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="topo-plan")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def warm_up(self, timeout_s: float = 120) -> None:
        """Start a no-op child and wait for it: the fork server is then up with topo
        imported, so that the first plan does not wait a second for it."""
        self._call(int, timeout=timeout_s)  # any call: int() is 0

    def run_in_child(self, fn: Any, *args: Any, what: str) -> tuple[str, Any]:
        """``fn(*args)`` (one of :mod:`api.worker`'s calls: draw, export, validate) in a
        child within a plan's limits, at most ``workers`` at once: ``("done", value)``,
        ``("problems", [problem dicts])``, ``("time-limit" | "memory", message)`` or
        ``("crash", traceback or message)``; ``what`` names the call in the messages."""
        deadline = time.monotonic() + self.time_limit_s
        if not self._side_jobs.acquire(timeout=self.time_limit_s):
            return "time-limit", f"every {what} worker stayed busy past this server's limit"
        try:
            outcome = self._call(fn, *args, timeout=max(0.0, deadline - time.monotonic()))
        finally:
            self._side_jobs.release()
        if outcome.status == "ok":
            return "done", outcome.value
        if outcome.status == "problems":
            return "problems", [p.to_dict() for p in outcome.problems]
        failure, reason = self._failure(outcome, what)
        kind = {"time-limit": "time-limit", "memory-limit": "memory"}.get(failure, "crash")
        return kind, outcome.detail or reason

    def _call(self, fn: Any, *args: Any, timeout: float, job: Job | None = None) -> Outcome:
        """``fn(*args)`` in a child within this server's limits; a plan's ``job`` hears of
        its progress and can be cancelled."""
        stages = itertools.count(1)
        with self._start(fn, *args, timeout=timeout, progress=job is not None) as child:
            if job is None:
                return child.wait()
            job.child = child
            if job.cancelled:  # while the child started
                child.cancel()
            return child.wait(
                lambda stage: self.store.progress(job.plan_id, str(stage), next(stages))
            )

    def _failure(self, outcome: Outcome, what: str) -> tuple[FailureKind, str]:
        """Why a call did not end ``ok``: (failure, reason) as a failed plan stores them."""
        if outcome.status == "timeout":
            limit = f"{self.time_limit_s:g} s"
            return "time-limit", f"{what} took longer than this server's limit of {limit}"
        if outcome.status == "memory":
            mib = (self.memory_limit_bytes or 0) // 2**20
            limit = f" of {mib:,} MiB (TOPO_MEMORY_LIMIT_MB)" if mib else ""
            return "memory-limit", f"{what} needed more memory than this server's limit{limit}"
        if outcome.status == "problems":
            n = len(outcome.problems)
            return "invalid", f"the scenario cannot be planned: {n} problem{'s' * (n != 1)}"
        if outcome.status == "crashed":
            return "internal", f"the {what} process ended unexpectedly ({outcome.message})"
        return "internal", f"internal error during {what}"

    def submit(
        self, plan_id: str, data: dict[str, Any], installed: dict[str, bytes] | None = None
    ) -> Job:
        """Queue the stored plan ``plan_id`` of scenario ``data`` (JSON data), built on the
        files ``installed`` of the stored plan its ``existing`` names, if any."""
        job = Job(plan_id, data, installed)
        with self._lock:
            self._jobs[plan_id] = job
        job.future = self._pool.submit(self._run, job)
        return job

    def cancel(self, plan_id: str) -> None:
        """Stop a queued or running plan (its record is the caller's to delete)."""
        with self._lock:
            job = self._jobs.get(plan_id)
        if job is None:
            return
        job.cancelled = True
        if job.future is not None and job.future.cancel():
            self._forget(job)
        elif job.child is not None:
            job.child.cancel()

    def shutdown(self, reason: str) -> None:
        """Stop every plan, mark the unfinished ones failed with ``reason``."""
        self._stopping = True
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancelled = True
            if job.child is not None:
                job.child.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for job in jobs:
            self.store.fail(job.plan_id, failure="interrupted", reason=reason)
            job.done.set()

    # -- one job -------------------------------------------------------------------------

    def _forget(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.plan_id, None)
        job.done.set()

    def _run(self, job: Job) -> None:
        try:
            if job.cancelled or self._stopping or not self.store.mark_running(job.plan_id):
                return
            fn = partial(plan_outcome, installed=job.installed)
            self._store(job, self._call(fn, job.data, timeout=self.time_limit_s, job=job))
        except Exception as exc:  # a bug here must not leave the plan running forever
            log.exception("plan %s: supervisor failed", job.plan_id)
            self.store.fail(job.plan_id, failure="internal", reason=f"internal error: {exc}")
        finally:
            self._forget(job)

    def _store(self, job: Job, outcome: Outcome) -> None:
        if outcome.status == "ok":
            files = {n: (media_type_of(n), b) for n, b in outcome.value["files"].items()}
            self.store.finish(job.plan_id, **(outcome.value | {"files": files}))
        elif outcome.status != "cancelled":
            if outcome.status == "error":
                log.error("plan %s: topo failed:\n%s", job.plan_id, outcome.detail)
            failure, reason = self._failure(outcome, "planning")
            problems = [p.to_dict() for p in outcome.problems]
            self.store.fail(job.plan_id, failure=failure, reason=reason, problems=problems)
