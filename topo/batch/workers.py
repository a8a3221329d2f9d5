"""Where batch jobs run: a pool of local worker processes, or a Dask cluster.

Both runners take a list of :class:`Job` (a key, a module-level function and its one
argument) and yield a :class:`JobResult` for each as it finishes, in completion order::

    with local_runner(workers=2) as runner:
        for result in runner.run(jobs, timeout=60):
            ...

:class:`LocalRunner` keeps ``workers`` processes, hands each one job at a time and so knows
exactly which jobs are running; a job past its ``timeout`` has its process killed and
replaced, and a process that dies (out of memory, a crash in native code) fails only its
own job. Workers ignore Ctrl-C: the parent stops them when it is interrupted.

:class:`DaskRunner` submits every job to an existing Dask scheduler
(``tcp://host:8786``). Dask cannot stop a running task, so a job past its ``timeout`` is
reported as timed out by the task itself and its result dropped, while the computation
finishes in the background on its worker. Dask is an optional dependency
(``pip install 'topo[dask]'``).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Literal, Protocol

from layouts.limits import LIMITS, limit_memory
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


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- local processes ------------------------------------------------------------------------


def _worker_main(conn: Connection) -> None:
    """A worker process: run jobs sent on ``conn`` until told to stop (``None``), within
    the memory limit (``TOPO_MEMORY_LIMIT_MB``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_memory(LIMITS.memory_limit_mb * 2**20)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        fn, arg = msg
        try:
            reply: tuple[str, Any] = ("ok", fn(arg))
        except MemoryError:
            reply = ("error", f"needed more memory than the limit of {LIMITS.memory_limit_mb:,} "
                              "MiB (TOPO_MEMORY_LIMIT_MB)")  # fmt: skip
        except Exception as exc:
            reply = ("error", _error_text(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # the value could not be pickled
            conn.send(("error", f"cannot send the result back: {_error_text(exc)}"))


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start processes without them importing the parent's ``__main__`` again.

    A new worker would otherwise run the caller's script (or a test runner's) once more
    before its first job; jobs only ever name functions of importable modules.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved: dict[str, Any] = {
        k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class _Worker:
    def __init__(self, ctx: Any) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        with _main_module_hidden():
            self.process.start()
        child.close()

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def _context() -> Any:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # workers fork from a server that has already imported topo's planner
        ctx.set_forkserver_preload(["topo.batch.run"])
        return ctx
    return mp.get_context("spawn")


class LocalRunner:
    """A pool of ``workers`` local processes, started as jobs need them."""

    def __init__(self, workers: int | None = None) -> None:
        self.slots = max(1, workers or os.cpu_count() or 1)
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._busy: dict[_Worker, tuple[Job, float]] = {}

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
        while queue or self._busy:
            while queue and len(self._busy) < self.slots:
                worker = self._idle.pop() if self._idle else _Worker(self._ctx)
                job = queue.popleft()
                worker.conn.send((job.fn, job.arg))
                self._busy[worker] = (job, time.monotonic())
                if on_start:
                    on_start(job.key)
            yield from self._collect(timeout)

    def _collect(self, timeout: float | None) -> Iterator[JobResult]:
        now = time.monotonic()
        wait_s = None
        if timeout is not None:
            wait_s = max(0.0, min(t0 + timeout for _j, t0 in self._busy.values()) - now)
        handles: list[Any] = [w.conn for w in self._busy]
        handles += [w.process.sentinel for w in self._busy]
        ready = set(wait(handles, wait_s))
        now = time.monotonic()
        for worker, (job, t0) in list(self._busy.items()):
            if worker.conn in ready:
                try:
                    status, value = worker.conn.recv()
                except (EOFError, OSError):
                    yield self._lost(worker, job, t0)
                    continue
                del self._busy[worker]
                self._idle.append(worker)
                yield JobResult(job.key, status, value, now - t0)
            elif worker.process.sentinel in ready:
                yield self._lost(worker, job, t0)
            elif timeout is not None and now - t0 >= timeout:
                del self._busy[worker]
                worker.stop(kill=True)
                yield JobResult(
                    job.key, "timeout", f"did not finish within {timeout:g} s", now - t0
                )

    def _lost(self, worker: _Worker, job: Job, t0: float) -> JobResult:
        del self._busy[worker]
        worker.stop(kill=True)
        code = worker.process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return JobResult(job.key, "error", f"worker process died ({why})", time.monotonic() - t0)

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        busy, idle = list(self._busy), list(self._idle)
        self._busy.clear()
        self._idle.clear()
        for w in busy:
            w.stop(kill=True)
        for w in idle:
            w.stop(kill=False)


def local_runner(workers: int | None = None) -> LocalRunner:
    """A pool of local worker processes (default: one per CPU)."""
    return LocalRunner(workers)


# -- Dask --------------------------------------------------------------------------------


def _call_with_timeout(fn: Callable[[Any], Any], arg: Any, timeout: float | None) -> Any:
    """Run ``fn(arg)`` on a Dask worker; give up waiting after ``timeout`` seconds.

    Returns ``(status, value, seconds)``.
    """
    box: dict[str, Any] = {}
    t0 = time.perf_counter()

    def target() -> None:
        try:
            box["reply"] = ("ok", fn(arg))
        except Exception as exc:
            box["reply"] = ("error", _error_text(exc))

    if timeout is None:
        target()
    else:
        thread = threading.Thread(target=target, name="topo-job", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            box["reply"] = ("timeout", f"did not finish within {timeout:g} s")
    status, value = box["reply"]
    return status, value, time.perf_counter() - t0


class DaskRunner:
    """Jobs on an existing Dask cluster, through a client connected to ``address``."""

    def __init__(self, address: str, *, connect_timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise TopoError(
                Problem(
                    "--scheduler",
                    "running on a Dask cluster needs the 'distributed' package: "
                    "pip install 'topo[dask]'",
                )
            ) from None
        try:
            self._client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise TopoError(
                Problem(
                    "--scheduler",
                    f"cannot reach the Dask scheduler at {address!r}: {_error_text(exc)}",
                    address,
                )
            ) from None
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
                status, value, seconds = "error", _error_text(exc), 0.0
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
