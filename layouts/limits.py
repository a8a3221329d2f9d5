"""Limits on what topo accepts, so that a small input cannot ask for unbounded work.

Every limit has a name, a default and an environment variable that raises (or lowers) it
for users who need more; a refusal names the value, the limit and that variable::

    TOPO_MAX_FILE_BYTES=16777216     largest scenario, floor or sweep file read, bytes
    TOPO_MAX_DEPTH=40                deepest nesting of mappings and lists in a document
    TOPO_MAX_NUMBER=1000000000000    largest magnitude of any number in a document
    TOPO_MAX_RACKS=20000             racks in a hall
    TOPO_MAX_PORTS_PER_SWITCH=4096   ports of one switch model (breakout lanes included)
    TOPO_MAX_VARIANTS=1000           variants of one sweep
    TOPO_MAX_DEVICES=250000          devices (servers and switches) in one plan
    TOPO_MAX_CABLES=1000000          links (cables) in one plan
    TOPO_VARIANT_TIME_LIMIT_S=3600   seconds one ``topo batch`` variant may run (``--timeout``)
    TOPO_MEMORY_LIMIT_MB=8192        address space of each batch worker (and API planner)

Besides sizes, :func:`check_document` refuses numbers that are not finite and ids that a
schedule or a drawing could not carry: control characters, and the route separators
``' > '`` and ``'..'`` of ``cables.csv``'s tray routes.

Example:
    >>> LIMITS.max_racks
    20000
    >>> for p in check_document({"trays": [{"id": "T > A", "width": 1e300}]}):
    ...     print(p)
    trays.0.id: id 'T > A' holds ' > ', which separates tray segments in cable routes
    trays.0.width: the number 1e+300 is larger than the limit 1,000,000,000,000 (TOPO_MAX_NUMBER)
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layouts.errors import Problem, ScenarioError

__all__ = [
    "LIMITS",
    "Limits",
    "check_document",
    "check_id",
    "env_name",
    "limit_memory",
    "read_limited_text",
    "too_many",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force (see the module docstring for their variables)."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_depth: int = 40
    max_number: int = 10**12
    max_racks: int = 20_000
    max_ports_per_switch: int = 4096
    max_variants: int = 1000
    max_devices: int = 250_000
    max_cables: int = 1_000_000
    memory_limit_mb: int = 8192
    variant_time_limit_s: int = 3600

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults, each overridden by its ``TOPO_*`` variable when set to an integer."""
        values: dict[str, int] = {}
        for name in cls.__dataclass_fields__:
            raw = os.environ.get(env_name(name), "").strip().replace("_", "")
            if raw.isdigit() and int(raw) > 0:
                values[name] = int(raw)
        return cls(**values)


def env_name(limit: str) -> str:
    """The environment variable of a limit: ``max_racks`` -> ``TOPO_MAX_RACKS``."""
    return "TOPO_" + limit.upper()


LIMITS = Limits.from_environment()
"""The limits read from the environment when topo is imported."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ID_KEYS = frozenset({"id", "name", "sku", "cable_sku"})


def too_many(what: str, got: int, limit: str) -> str:
    """The message for a count over a limit, naming its variable."""
    value = getattr(LIMITS, limit)
    return f"{got:,} {what} is more than the limit {value:,} ({env_name(limit)})"


def check_id(value: str) -> str | None:
    """Why ``value`` cannot be an id (or a name), or None when it can.

    >>> print(check_id("T-A"))
    None
    >>> print(check_id("T..A"))
    id 'T..A' holds '..', which marks a range of segments in cable routes
    >>> print(check_id("A" + chr(10) + "B"))
    id 'A\\nB' holds a control character
    """
    if _CONTROL.search(value):
        return f"id {value!r} holds a control character"
    if " > " in value:
        return f"id {value!r} holds ' > ', which separates tray segments in cable routes"
    if ".." in value:
        return f"id {value!r} holds '..', which marks a range of segments in cable routes"
    return None


def check_document(data: Any, *, prefix: str = "") -> list[Problem]:
    """Every problem of a parsed document that no model should have to meet: nesting
    deeper than the limit, numbers beyond the limit or not finite, ids (``id``, ``name``,
    ``sku`` values) that :func:`check_id` refuses. Iterative, so any depth is safe."""
    problems: list[Problem] = []
    limit = LIMITS.max_number
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (prefix,) if prefix else (), 0)]
    while stack and len(problems) < 50:
        item, loc, depth = stack.pop()
        where = ".".join(loc)
        if depth > LIMITS.max_depth:
            problems.append(
                Problem(
                    where or "document",
                    f"nested more than {LIMITS.max_depth} levels deep "
                    f"(limit {env_name('max_depth')})",
                )
            )
            continue
        if isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                key = str(k)
                if isinstance(v, str) and key in _ID_KEYS:
                    why = check_id(v)
                    if why:
                        problems.append(Problem(".".join((*loc, key)), why, v))
                stack.append((v, (*loc, key), depth + 1))
        elif isinstance(item, list | tuple):
            for i in reversed(range(len(item))):
                stack.append((item[i], (*loc, str(i)), depth + 1))
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if abs(item) > limit:
                digits = len(str(abs(item))) if abs(item) < 10**4000 else 4000
                shown = f"{item:,}" if digits <= 30 else f"an integer of {digits:,}+ digits"
                why = f"{shown} is larger than the limit {limit:,} ({env_name('max_number')})"
                problems.append(Problem(where, why))
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append(Problem(where, f"the number {item!r} is not finite", repr(item)))
            elif abs(item) > limit:
                problems.append(
                    Problem(
                        where,
                        f"the number {item:g} is larger than the limit {limit:,} "
                        f"({env_name('max_number')})",
                    )
                )
    return problems


def read_limited_text(path: Path, *, what: str) -> str:
    """The UTF-8 text of a regular file no larger than the file size limit, checked before
    anything is read (a device such as ``/dev/zero`` or a fifo is refused unopened).

    Raises:
        ScenarioError: missing, not a regular file, too large, unreadable or not UTF-8.
    """
    source = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError(Problem(source, f"{what} {source!r} not found")) from None
    except OSError as exc:
        raise ScenarioError(Problem(source, f"cannot read {what} {source!r}: {exc}")) from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(Problem(source, f"{what} {source!r} is a directory"))
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(Problem(source, f"{what} {source!r} is not a regular file"))
    if st.st_size > LIMITS.max_file_bytes:
        raise ScenarioError(
            Problem(
                source,
                f"{what} {source!r} is {st.st_size:,} bytes, more than the limit "
                f"{LIMITS.max_file_bytes:,} ({env_name('max_file_bytes')})",
                st.st_size,
            )
        )
    try:
        with path.open("rb") as f:
            raw = f.read(LIMITS.max_file_bytes + 1)
    except OSError as exc:
        raise ScenarioError(Problem(source, f"cannot read {what} {source!r}: {exc}")) from None
    if len(raw) > LIMITS.max_file_bytes:
        raise ScenarioError(
            Problem(source, f"{what} {source!r} grew past the limit {LIMITS.max_file_bytes:,}")
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            Problem(source, f"cannot read {what} {source!r}: not UTF-8 (byte {exc.start})")
        ) from None


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space (``RLIMIT_AS``) where the platform allows it: past
    it, allocations raise :class:`MemoryError` instead of the machine running out."""
    if not max_bytes:
        return
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on this platform
        pass
