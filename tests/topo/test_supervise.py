"""Tests for :mod:`topo.supervise`: every way a call in a child process can end is a clear
outcome, never a hang, and the child is always reaped."""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading

import pytest

from tests.topo import supervised_calls as calls
from topo.errors import Problem
from topo.supervise import Child, process_context, start_child, wait_for_children

# a fork server that has the calls imported, unless one is already running
CONTEXT = process_context(preload=(calls.__name__,))


def _start(fn, *args, **options):  # type: ignore[no-untyped-def]
    return start_child(fn, *args, context=CONTEXT, **options)


def _run(fn, *args, **options):  # type: ignore[no-untyped-def]
    with _start(fn, *args, **options) as child:
        return child.wait()


# -- how a call can end ----------------------------------------------------------------------


def test_a_value_comes_back_with_the_wall_time():
    outcome = _run(calls.double, 21)
    assert (outcome.status, outcome.value, outcome.exit_code) == ("ok", 42, 0)
    assert outcome.seconds > 0 and outcome.message == ""


def test_an_exception_is_an_error_with_its_traceback():
    outcome = _run(calls.boom, "no rack 'A01'")
    assert outcome.status == "error"
    assert outcome.message == "RuntimeError: no rack 'A01'"
    assert "Traceback" in outcome.detail and "in boom" in outcome.detail
    assert outcome.value is None


def test_a_topo_error_keeps_every_problem():
    outcome = _run(calls.refuse, 7)
    assert outcome.status == "problems"
    assert outcome.problems == (Problem("servers.per_rack", "7 per rack is refused", 7),)
    assert "7 per rack is refused" in outcome.message


def test_a_child_that_exits_is_crashed_with_its_exit_code():
    outcome = _run(calls.exit_now, 3)
    assert (outcome.status, outcome.message, outcome.exit_code) == ("crashed", "exit code 3", 3)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_child_killed_by_a_signal_is_crashed_naming_the_signal(signum):
    outcome = _run(calls.kill_self, int(signum))
    assert outcome.status == "crashed"
    assert outcome.message == f"killed by signal {int(signum)}"
    assert outcome.exit_code == -signum


def test_a_crash_in_native_code_fails_alone():
    outcome = _run(calls.segfault, None)
    assert (outcome.status, outcome.exit_code) == ("crashed", -signal.SIGSEGV)
    assert _run(calls.double, 1).value == 2  # the next call runs as usual


def test_a_call_past_its_time_is_killed_and_times_out():
    outcome = _run(calls.sleep, 600, timeout=0.5)
    assert outcome.status == "timeout"
    assert outcome.message == "did not finish within 0.5 s"
    assert outcome.exit_code == -signal.SIGKILL


def test_a_call_within_its_time_is_not_stopped():
    assert _run(calls.sleep, 0, timeout=60).value == "woke up"


def test_a_call_cancelled_from_another_thread_is_cancelled():
    """The waiting thread hears of the first progress value, then another thread cancels
    the call; the wait ends at once with ``cancelled``."""
    with _start(calls.sleep, 600, progress=True) as child:
        seen: list[str] = []

        def cancel_soon(value: str) -> None:
            seen.append(value)
            threading.Thread(target=child.cancel).start()

        outcome = child.wait(cancel_soon)
    assert seen == ["asleep"]
    assert (outcome.status, outcome.message) == ("cancelled", "cancelled")
    assert outcome.exit_code == -signal.SIGKILL


def test_a_call_cancelled_before_its_wait_is_cancelled():
    with _start(calls.sleep, 600) as child:
        child.cancel()
        outcome = child.wait()
    assert outcome.status == "cancelled"


def test_progress_values_arrive_in_order_before_the_outcome():
    seen: list[str] = []
    with _start(calls.stages, 3, progress=True) as child:
        outcome = child.wait(seen.append)
    assert seen == ["stage 0", "stage 1", "stage 2"]
    assert outcome.value == 3


def test_a_value_that_cannot_be_sent_back_is_an_error():
    outcome = _run(calls.unpicklable, None)
    assert outcome.status == "error"
    assert outcome.message.startswith("cannot send the result back: ")


def test_a_call_over_the_memory_cap_fails_naming_the_cap():
    cap = 2**31
    outcome = _run(calls.allocate, cap, memory_limit_bytes=cap)  # the cap and then some
    assert outcome.status == "memory"
    assert outcome.message == (
        "needed more memory than the limit of 2,048 MiB (TOPO_MEMORY_LIMIT_MB)"
    )


# -- many children, closing ------------------------------------------------------------------


def test_waiting_on_many_children_hears_each_as_it_ends():
    children: list[Child] = [
        _start(calls.double, 1),
        _start(calls.sleep, 600, timeout=1),
        _start(calls.exit_now, 4),
    ]
    try:
        while any(c.outcome is None for c in children):
            wait_for_children(children)
            for c in children:
                c.poll()
        assert [c.outcome.status for c in children if c.outcome] == ["ok", "timeout", "crashed"]
    finally:
        for c in children:
            c.close()
    assert mp.active_children() == []


def test_closing_a_running_child_kills_and_reaps_it():
    child = _start(calls.sleep, 600)
    assert child.poll() is None
    child.close()
    child.close()  # twice is harmless
    child.cancel()  # and so is a cancel after it
    assert mp.active_children() == []
