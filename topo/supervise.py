"""Running one call in a child process, under a memory cap and a wall-clock time limit.

Batches (:mod:`topo.batch.workers`) and a server's plans, drawings and validations run
their work this way, so that a call that runs too long, needs too much memory or crashes
in native code fails alone, and can be stopped at any time::

    parent                                      child (forked from a fork server)
    start_child(fn, *args) ── start ─────────> call_in_child: ignore Ctrl-C, cap memory
                           <── ("progress", x)  progress(x), as often as fn likes
                           <── ("ok", value) ── fn(*args) returned
                           <── ("problems", ..) fn raised TopoError
                           <── ("memory", ..) ─ fn raised MemoryError
                           <── ("error", ..) ── fn raised anything else
    Child.poll / Child.wait ─> Outcome          (or, as the parent saw it: timeout,
    Child.cancel from any thread: kill            crashed, cancelled)
    Child.close: close the pipe, kill, reap       wait_for_children: news of many children
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from layouts.limits import limit_memory
from topo.errors import Problem, TopoError

__all__ = [
    "Child",
    "Outcome",
    "call_in_child",
    "error_text",
    "process_context",
    "start_child",
    "wait_for_children",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a call in a child process ended.

    Attributes:
        status: ``ok``; or as the child reported it ``problems`` (it raised
            :class:`~topo.errors.TopoError`), ``error`` (any other exception), ``memory``
            (over its cap); or as the parent saw it ``timeout``, ``crashed`` (the child
            died without an answer: a crash in native code, a signal) or ``cancelled``.
        value: the call's return value (``ok`` only).
        message: one line on a failure: ``"RuntimeError: boom"``, ``"did not finish
            within 5 s"``, ``"exit code 3"``, ``"killed by signal 9"``, ...
        problems: the problems of the :class:`~topo.errors.TopoError` raised.
        detail: the traceback of an unexpected exception (``error``), for a log.
        exit_code: the child's exit code once it ended (negative: killed by that signal).
        seconds: wall time from start to outcome, as the parent measured it.
    """

    status: Literal["ok", "problems", "error", "memory", "timeout", "crashed", "cancelled"]
    value: Any = None
    message: str = ""
    problems: tuple[Problem, ...] = ()
    detail: str = ""
    exit_code: int | None = None
    seconds: float = 0.0


def error_text(exc: BaseException) -> str:
    """An exception as one line: its type, and its message if it has one.

    Example:
        >>> error_text(RuntimeError("boom")), error_text(KeyError())
        ('RuntimeError: boom', 'KeyError')
    """
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def process_context(preload: Sequence[str] = ()) -> BaseContext:
    """Where children come from: a fork server that has imported this module (so topo) and
    the modules ``preload``, so that a child starts in milliseconds with them in memory; or
    ``spawn`` where there is none. A process has one fork server, started with the
    ``preload`` of its first child."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__, *preload])
    return ctx


def call_in_child(
    conn: Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    max_bytes: int | None = None,
    progress: bool = False,
) -> None:
    """The child's side: run ``fn(*args)`` within ``max_bytes`` of address space and send
    how it ended on ``conn`` (see the module's picture), then close it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops its children
    limit_memory(max_bytes)
    cap = f"the limit of {max_bytes // 2**20:,} MiB (TOPO_MEMORY_LIMIT_MB)" if max_bytes else ""
    memory = ("memory", f"needed more memory than {cap or 'the machine could give'}")
    kwargs = {"progress": lambda value: conn.send(("progress", value))} if progress else {}
    try:
        reply: tuple[Any, ...] = ("ok", fn(*args, **kwargs))
    except TopoError as exc:
        reply = ("problems", error_text(exc), [p.to_dict() for p in exc.problems])
    except MemoryError:
        reply = memory
    except Exception as exc:
        reply = ("error", error_text(exc), traceback.format_exc())
    try:
        conn.send(reply)
    except MemoryError:  # the value itself did not fit
        del reply
        conn.send(memory)
    except Exception as exc:  # the value could not be pickled
        conn.send(("error", f"cannot send the result back: {error_text(exc)}", ""))
    conn.close()


_START_LOCK = threading.Lock()  # guards __main__ while a child starts


def start_child(
    fn: Callable[..., Any],
    *args: Any,
    timeout: float | None = None,
    memory_limit_bytes: int | None = None,
    progress: bool = False,
    context: BaseContext | None = None,
) -> Child:
    """Start ``fn(*args)`` in a child process.

    Args:
        fn: a module-level function (it travels by name).
        args: its arguments (picklable).
        timeout: seconds of wall time before the child is killed and the outcome is
            ``timeout``; ``None`` for no limit.
        memory_limit_bytes: the child's address-space cap (``None``: no cap).
        progress: call ``fn`` with a keyword ``progress``, a function that sends one
            picklable value to the parent's ``on_progress``.
        context: where the child comes from (default: :func:`process_context`).

    Example:
        >>> with start_child(abs, -2, timeout=60) as child:
        ...     outcome = child.wait()
        >>> outcome.status, outcome.value, outcome.exit_code
        ('ok', 2, 0)
    """
    context = context or process_context()
    receiver, sender = context.Pipe(duplex=False)
    options = {"max_bytes": memory_limit_bytes, "progress": progress}
    process = context.Process(  # type: ignore[attr-defined]
        target=call_in_child, args=(sender, fn, args), kwargs=options, daemon=True
    )
    main = sys.modules["__main__"]  # the child must not run the caller's script again
    with _START_LOCK:
        saved = {k: v for k, v in vars(main).items() if k in ("__file__", "__spec__")}
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            process.start()
        finally:
            main.__dict__.update(saved)
            sender.close()
    return Child(process, receiver, timeout)


class Child:
    """One call running in a child process, made by :func:`start_child`. Use it as a
    context manager (or call :meth:`close`) so that the child is always reaped.

    Attributes:
        deadline: when the call is stopped (:func:`time.monotonic`), or ``None``.
        outcome: how the call ended, once :meth:`poll` or :meth:`wait` saw it end.
    """

    def __init__(self, process: BaseProcess, conn: Connection, timeout: float | None) -> None:
        self.started = time.monotonic()
        self.timeout = timeout
        self.deadline = None if timeout is None else self.started + timeout
        self.outcome: Outcome | None = None
        self._process, self._conn = process, conn
        self._lock = threading.Lock()
        self._cancelled = self._closed = False

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self, on_progress: Callable[[Any], None] | None = None) -> Outcome | None:
        """Take in what the child sent without blocking: progress values go to
        ``on_progress``; the outcome once the call ended, the child died or was cancelled,
        or the deadline passed (the child is then killed); else ``None``."""
        alive = self.outcome is None and self._process.is_alive()  # before the last read
        try:
            while self.outcome is None and not self._cancelled and self._conn.poll(0):
                message = self._conn.recv()
                if message[0] != "progress":
                    return self._end(_outcome_of(message))
                if on_progress is not None:
                    on_progress(message[1])
        except (EOFError, OSError):  # the child is gone, its pipe with it
            return self._died()
        if self.outcome is None and (self._cancelled or not alive):
            return self._died()
        if self.outcome is None and self.deadline and time.monotonic() >= self.deadline:
            self._process.kill()
            return self._end(
                Outcome("timeout", message=f"did not finish within {self.timeout:g} s")
            )
        return self.outcome

    def wait(self, on_progress: Callable[[Any], None] | None = None) -> Outcome:
        """Block until the call ends, the child dies or the deadline passes; the outcome."""
        while (outcome := self.poll(on_progress)) is None:
            wait_for_children([self])
        return outcome

    def cancel(self) -> None:
        """Stop the call from any thread: the child is killed, the outcome ``cancelled``."""
        self._cancelled = True
        with self._lock:  # no is_alive() here: only the waiting thread reads the child's end
            if not self._closed:
                self._process.kill()

    def close(self) -> None:
        """Close the pipe, kill the child if it still runs, and reap it."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
                self._process.kill()
                self._process.join()
                self._process.close()

    def _died(self) -> Outcome:
        if self._cancelled:
            return self._end(Outcome("cancelled", message="cancelled"))
        self._process.join(5)  # the pipe closes an instant before the process ends
        code = self._process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return self._end(Outcome("crashed", message=why))

    def _end(self, outcome: Outcome) -> Outcome:
        seconds = time.monotonic() - self.started
        self._process.join(5)  # it ends an instant after its last message
        self.outcome = replace(outcome, exit_code=self._process.exitcode, seconds=seconds)
        return self.outcome


def _outcome_of(message: tuple[Any, ...]) -> Outcome:
    kind, *rest = message
    if kind == "ok":
        return Outcome("ok", value=rest[0])
    if kind == "problems":
        return Outcome("problems", message=rest[0], problems=tuple(Problem(**p) for p in rest[1]))
    if kind == "memory":
        return Outcome("memory", message=rest[0])
    return Outcome("error", message=rest[0], detail=rest[1])


def wait_for_children(children: Iterable[Child]) -> None:
    """Block until one of ``children`` has news (a message, its death) or the earliest
    deadline passes; then :meth:`Child.poll` each."""
    running = [c for c in children if c.outcome is None]
    deadlines = [c.deadline for c in running if c.deadline is not None]
    timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
    if running:
        wait([h for c in running for h in (c._conn, c._process.sentinel)], timeout)
