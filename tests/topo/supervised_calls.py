"""Calls that :mod:`tests.topo.test_supervise` runs in child processes: module-level, so
that a child imports them by name, in a module light enough to import in each child."""

from __future__ import annotations

import ctypes
import os
import resource
import time
from collections.abc import Callable

from topo.errors import FabricError, Problem


def double(x: int) -> int:
    return 2 * x


def boom(message: str) -> None:
    raise RuntimeError(message)


def refuse(per_rack: int) -> None:
    raise FabricError(Problem("servers.per_rack", f"{per_rack} per rack is refused", per_rack))


def exit_now(code: int) -> None:
    os._exit(code)


def kill_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(60)


def segfault(_: object) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file left behind
    ctypes.string_at(0)  # a crash in native code


def sleep(seconds: float, progress: Callable[[str], None] | None = None) -> str:
    if progress is not None:
        progress("asleep")
    time.sleep(seconds)
    return "woke up"


def stages(n: int, progress: Callable[[str], None]) -> int:
    for i in range(n):
        progress(f"stage {i}")
    return n


def unpicklable(_: object) -> object:
    return lambda: None


def allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))
