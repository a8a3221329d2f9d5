"""Running plans in the background: a pool of workers, each plan in its own process.

::

    POST /v1/plans ─> store.create (queued) ─> PlanRunner.submit ─> worker thread
                                                                     │ store.mark_running
                                                                     │ fork a child process
         child: topo.plan + render_plan ── pipe ── progress ───────> │ store.progress
                                           └──── done / problems ──> │ store.finish / fail
                                                                     └ job.done is set

``workers`` threads each supervise one child at a time, so at most ``workers`` plans run
at once and the rest wait ``queued``. A child still running after ``time_limit_s`` is
killed and its plan marked failed; so is a plan whose child dies. Children are forked from
a fork server that has topo already imported, so a plan starts in milliseconds.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from api.store import PlanStore
from api.worker import draw_in_child, export_in_child, plan_in_child, ready, validate_in_child

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

_POLL_S = 0.5


def media_type_of(name: str) -> str:
    """The media type an output file is served with.

    Example:
        >>> media_type_of("cables.csv")
        'text/csv; charset=utf-8'
    """
    suffix = name[name.rfind(".") :] if "." in name else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


def _context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["api.worker", "topo.outputs.drawing"])
    return ctx


def _end(process: BaseProcess, receiver: Connection) -> None:
    """Close the pipe from a child, stop the child if it still runs, and reap it."""
    receiver.close()
    if process.is_alive():
        process.kill()
    process.join()
    process.close()


@dataclass(eq=False)
class Job:
    """One plan on its way: wait on :attr:`done` to know when it is stored."""

    plan_id: str
    data: dict[str, Any]
    installed: dict[str, bytes] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False
    process: BaseProcess | None = None
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
        self._ctx = _context()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="topo-plan")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def warm_up(self, timeout_s: float = 120) -> None:
        """Start a no-op child and wait for it: the fork server is then up with topo
        imported, so that the first plan does not wait a second for it."""
        process = self._ctx.Process(target=ready, daemon=True)  # type: ignore[attr-defined]
        process.start()
        process.join(timeout_s)
        if process.is_alive():  # pragma: no cover - a machine too loaded to fork
            process.kill()
            process.join()
        process.close()

    def draw(self, files: dict[str, bytes], options: dict[str, Any]) -> tuple[str, Any]:
        """Read the plan from its stored ``files`` and draw it with ``options`` in a child process,
        under the same time and memory limits as a plan, at most ``workers`` at once;
        ``(kind, payload)`` as :func:`api.worker.draw_in_child` sends it, or
        ``("time-limit", message)``."""
        return self._in_child(draw_in_child, (files, options), what="drawing")

    def export(self, files: dict[str, bytes], to: str) -> tuple[str, Any]:
        """Read the plan from its stored ``files`` and export it in format ``to`` in a
        child process, under the limits of a drawing; ``("done", {name: bytes})`` or a
        failure as :meth:`draw` reports it."""
        return self._in_child(export_in_child, (files, to), what="export")

    def validate(
        self, data: dict[str, Any], installed: dict[str, bytes] | None = None
    ) -> tuple[str, Any]:
        """Every problem of the scenario ``data`` (on the stored plan files ``installed``
        its ``existing`` names), found in a child process under the same time and memory
        limits as a plan, at most ``workers`` at once; ``(kind, payload)`` as
        :func:`api.worker.validate_in_child` sends it, or ``("time-limit", message)``."""
        return self._in_child(validate_in_child, (data, installed), what="validation")

    def _in_child(self, target: Any, args: tuple[Any, ...], *, what: str) -> tuple[str, Any]:
        """Run ``target(sender, *args, max_bytes)`` in a child; its one message back."""
        deadline = time.monotonic() + self.time_limit_s
        if not self._side_jobs.acquire(timeout=self.time_limit_s):
            return "time-limit", f"every {what} worker stayed busy past this server's limit"
        try:
            receiver, sender = self._ctx.Pipe(duplex=False)
            process = self._ctx.Process(  # type: ignore[attr-defined]
                target=target,
                args=(sender, *args, self.memory_limit_bytes),
                daemon=True,
            )
            process.start()
            sender.close()
            try:
                if receiver.poll(max(0.0, deadline - time.monotonic())):
                    try:
                        return receiver.recv()  # type: ignore[no-any-return]
                    except (EOFError, OSError):
                        return "crash", f"the {what} process ended (exit code {process.exitcode})"
                return "time-limit", (
                    f"{what} took longer than this server's limit of {self.time_limit_s:g} s"
                )
            finally:
                _end(process, receiver)
        finally:
            self._side_jobs.release()

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
        elif job.process is not None and job.process.is_alive():
            job.process.kill()

    def running(self) -> int:
        """Plans queued or running in this server."""
        with self._lock:
            return len(self._jobs)

    def shutdown(self, reason: str) -> None:
        """Stop every plan, mark the unfinished ones failed with ``reason``."""
        self._stopping = True
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancelled = True
            if job.process is not None and job.process.is_alive():
                job.process.kill()
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
            self._supervise(job)
        except Exception as exc:  # a bug here must not leave the plan running forever
            log.exception("plan %s: supervisor failed", job.plan_id)
            self.store.fail(job.plan_id, failure="internal", reason=f"internal error: {exc}")
        finally:
            self._forget(job)

    def _supervise(self, job: Job) -> None:
        receiver, sender = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=plan_in_child,
            args=(sender, job.data, self.memory_limit_bytes, job.installed),
            daemon=True,
        )
        job.process = process
        process.start()
        sender.close()
        try:
            self._follow(job, receiver, process)
        finally:
            _end(process, receiver)

    def _follow(self, job: Job, receiver: Connection, process: BaseProcess) -> None:
        deadline = time.monotonic() + self.time_limit_s
        stages = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                self.store.fail(
                    job.plan_id,
                    failure="time-limit",
                    reason=f"planning took longer than this server's limit of "
                    f"{self.time_limit_s:g} s",
                )
                return
            if not receiver.poll(min(remaining, _POLL_S)):
                continue
            try:
                kind, payload = receiver.recv()
            except (EOFError, OSError):
                if job.cancelled:
                    return
                process.join(timeout=5)
                self.store.fail(
                    job.plan_id,
                    failure="internal",
                    reason=f"the planner process ended unexpectedly (exit code {process.exitcode})",
                )
                return
            if kind == "progress":
                stages += 1
                self.store.progress(job.plan_id, str(payload), stages)
            elif kind == "done":
                self.store.finish(
                    job.plan_id,
                    summary=payload["summary"],
                    diagnostics=payload["diagnostics"],
                    notes=payload["notes"],
                    files={n: (media_type_of(n), b) for n, b in payload["files"].items()},
                )
                return
            elif kind == "memory":
                self.store.fail(job.plan_id, failure="memory-limit", reason=str(payload))
                return
            elif kind == "problems":
                n = len(payload)
                self.store.fail(
                    job.plan_id,
                    failure="invalid",
                    reason=f"the scenario cannot be planned: {n} problem{'s' if n != 1 else ''}",
                    problems=payload,
                )
                return
            else:
                log.error("plan %s: topo failed:\n%s", job.plan_id, payload)
                self.store.fail(
                    job.plan_id, failure="internal", reason="internal error in the planner"
                )
                return
