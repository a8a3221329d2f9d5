"""Where batch jobs run: a pool of local worker processes, or a Dask cluster.

Both runners take a list of :class:`Job` (a key, a module-level function and its one
argument) and yield a :class:`JobResult` for each as it finishes, in completion order::

    with local_runner(workers=2) as runner:
        for result in runner.run(jobs, timeout=60):
            ...

:class:`LocalRunner` runs each job in its own process (:mod:`topo.supervise`), at most
``workers`` at once, and so knows exactly which jobs are running; a job past its
``timeout`` has its process killed, and a process that dies (out of memory, a crash in
native code) fails only its own job. Job processes ignore Ctrl-C: the parent stops them
when it is interrupted.

:class:`DaskRunner` submits every job to an existing Dask scheduler
(``tcp://host:8786``). Dask cannot stop a running task, so a job past its ``timeout`` is
reported as timed out by the task itself and its result dropped, while the computation
finishes in the background on its worker. Dask is an optional dependency
(``pip install 'topo[dask]'``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from layouts.limits import LIMITS
from topo import supervise
from topo.errors import Problem, TopoError

__all__ = [
    "DaskRunner",
    "Job",
    "JobResult",
    "LocalRunner",
    "Runner",
    "dask_runner",
    "local_runner",
]

Status = Literal["ok", "error", "timeout"]


@dataclass(frozen=True, slots=True)
class Job:
    """One call to run: ``fn(arg)``; ``fn`` must be importable by name (module level)."""

    key: str
    fn: Callable[[Any], Any]
    arg: Any


@dataclass(frozen=True, slots=True)
class JobResult:
    """How a job ended: ``ok`` with ``fn``'s return value, or ``error``/``timeout`` with a
    message; ``seconds`` is its wall time."""

    key: str
    status: Status
    value: Any
    seconds: float


class Runner(Protocol):
    """What :func:`topo.batch.run_batch` needs from a place to run jobs."""

    slots: int

    def run(
        self,
        jobs: Sequence[Job],
        *,
        timeout: float | None = None,
        on_start: Callable[[str], None] | None = None,
    ) -> Iterator[JobResult]: ...

    @property
    def running(self) -> int: ...

    def close(self) -> None: ...


# -- local processes ------------------------------------------------------------------------


def _job_result(job: Job, outcome: supervise.Outcome) -> JobResult:
    if outcome.status == "ok":
        return JobResult(job.key, "ok", outcome.value, outcome.seconds)
    status: Status = "timeout" if outcome.status == "timeout" else "error"
    died = outcome.status == "crashed"
    message = f"worker process died ({outcome.message})" if died else outcome.message
    return JobResult(job.key, status, message, outcome.seconds)


class LocalRunner:
    """Local processes, one per job (:mod:`topo.supervise`), at most ``workers`` at once."""

    def __init__(self, workers: int | None = None) -> None:
        self.slots = max(1, workers or os.cpu_count() or 1)
        # children fork from a server that has already imported topo's planner
        self._ctx = supervise.process_context(preload=("topo.batch.run",))
        self._busy: dict[supervise.Child, Job] = {}

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> int:
        return len(self._busy)

    def run(
        self,
        jobs: Sequence[Job],
        *,
        timeout: float | None = None,
        on_start: Callable[[str], None] | None = None,
    ) -> Iterator[JobResult]:
        """Run every job; yield each result as it comes."""
        queue = deque(jobs)
        memory = LIMITS.memory_limit_mb * 2**20
        while queue or self._busy:
            while queue and len(self._busy) < self.slots:
                job = queue.popleft()
                child = supervise.start_child(
                    job.fn, job.arg, timeout=timeout, memory_limit_bytes=memory, context=self._ctx
                )
                self._busy[child] = job
                if on_start:
                    on_start(job.key)
            supervise.wait_for_children(self._busy)
            for child, job in list(self._busy.items()):
                if (outcome := child.poll()) is not None:
                    del self._busy[child]
                    child.close()
                    yield _job_result(job, outcome)

    def close(self) -> None:
        """Stop every running job and reap its process."""
        busy, self._busy = list(self._busy), {}
        for child in busy:
            child.close()


def local_runner(workers: int | None = None) -> LocalRunner:
    """A pool of local worker processes (default: one per CPU)."""
    return LocalRunner(workers)


# -- Dask --------------------------------------------------------------------------------


def _call_with_timeout(fn: Callable[[Any], Any], arg: Any, timeout: float | None) -> Any:
    """Run ``fn(arg)`` on a Dask worker, waiting ``timeout`` seconds at most: ``(status,
    value, seconds)``."""
    box: list[tuple[str, Any]] = []
    t0 = time.perf_counter()

    def target() -> None:
        try:
            box.append(("ok", fn(arg)))
        except Exception as exc:
            box.append(("error", supervise.error_text(exc)))

    thread = threading.Thread(target=target, name="topo-job", daemon=True)
    thread.start()
    thread.join(timeout)
    status, value = box[0] if box else ("timeout", f"did not finish within {timeout:g} s")
    return status, value, time.perf_counter() - t0


class DaskRunner:
    """Jobs on an existing Dask cluster, through a client connected to ``address``."""

    def __init__(self, address: str, *, connect_timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            why = "running on a Dask cluster needs the 'distributed' package: "
            raise TopoError(Problem("--scheduler", why + "pip install 'topo[dask]'")) from None
        try:
            self._client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            why = f"cannot reach the Dask scheduler at {address!r}: {supervise.error_text(exc)}"
            raise TopoError(Problem("--scheduler", why, address)) from None
        self.address = address
        self.slots = max(1, sum(self._client.nthreads().values()))
        self._outstanding: dict[Any, Job] = {}

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> int:
        return min(self.slots, len(self._outstanding))

    def run(
        self,
        jobs: Sequence[Job],
        *,
        timeout: float | None = None,
        on_start: Callable[[str], None] | None = None,
    ) -> Iterator[JobResult]:
        """Submit every job; yield each result as it completes."""
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        for i, job in enumerate(jobs):
            fut = self._client.submit(
                _call_with_timeout,
                job.fn,
                job.arg,
                timeout,
                key=f"topo-{token}-{i:05d}",
                pure=False,
            )
            self._outstanding[fut] = job
            if on_start and i < self.slots:
                on_start(job.key)
        waiting = list(jobs)[self.slots :]
        for fut in as_completed(list(self._outstanding), loop=self._client.loop):
            job = self._outstanding.pop(fut)
            try:
                status, value, seconds = fut.result()
            except Exception as exc:  # the task could not run: lost worker, bad pickle
                status, value, seconds = "error", supervise.error_text(exc), 0.0
            if waiting and on_start:
                on_start(waiting.pop(0).key)
            yield JobResult(job.key, status, value, seconds)

    def close(self) -> None:
        """Cancel whatever has not finished and disconnect."""
        if self._outstanding:
            with contextlib.suppress(Exception):  # the scheduler may already be gone
                self._client.cancel(list(self._outstanding))
            self._outstanding.clear()
        self._client.close()


def dask_runner(address: str) -> DaskRunner:
    """A runner on the Dask cluster whose scheduler listens at ``address``.

    Raises:
        TopoError: Dask is not installed, or the scheduler cannot be reached.
    """
    return DaskRunner(address)
