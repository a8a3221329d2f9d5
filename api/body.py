"""Reading a scenario from a request body: JSON or YAML, checked before it is trusted.

The media type picks the parser: ``application/json`` (or none) reads JSON,
``application/yaml``, ``application/x-yaml`` and ``text/yaml`` read YAML. Anything that is
not well-formed text in that format is a :class:`~api.errors.MalformedBody` (400) naming
the line and column. YAML aliases can make a small document expand enormously, so the
parsed document is measured before anything walks it: more than :data:`MAX_NODES` values
is refused too, and so are numbers that are not finite (``NaN``, ``.inf``).

:func:`canonical` gives the scenario's canonical JSON data and its SHA-256, which is how
identical scenarios are recognised.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from api.errors import MalformedBody, UnsupportedMediaType
from topo.errors import Problem, ScenarioError
from topo.scenario import Scenario, read_data

__all__ = [
    "JSON_TYPES",
    "MAX_NODES",
    "YAML_TYPES",
    "canonical",
    "parse_document",
]

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
MAX_NODES = 200_000
"""Most values (mappings, lists, scalars, counted as often as aliases repeat them) a body
may hold."""


def _media_type(content_type: str | None) -> str:
    if not content_type:
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


def _check_values(data: Any, limit: int) -> None:
    # iterative: a deeply nested document must not exhaust the stack
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            raise MalformedBody(
                Problem("body", f"the document holds more than {limit:,} values", limit)
            )
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise MalformedBody(
                Problem("body", f"the document holds the number {item!r}; numbers must be finite")
            )


def parse_document(body: bytes, content_type: str | None) -> Any:
    """The data in a request body, parsed by its media type.

    Raises:
        UnsupportedMediaType: neither JSON nor YAML.
        MalformedBody: empty, not UTF-8, not well-formed, too large once expanded, or
            holding a number that is not finite.

    Example:
        >>> parse_document(b"name: hall\\nservers: {per_rack: 8}", "application/yaml")
        {'name': 'hall', 'servers': {'per_rack': 8}}
    """
    media = _media_type(content_type)
    if media not in JSON_TYPES and media not in YAML_TYPES:
        accepted = ", ".join(JSON_TYPES + YAML_TYPES)
        raise UnsupportedMediaType(
            Problem("content-type", f"cannot read {media!r}; send one of {accepted}", media)
        )
    if not body.strip():
        raise MalformedBody(Problem("body", "the request body is empty; send a scenario"))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            Problem("body", f"the body is not UTF-8 text (byte {exc.start})", exc.start)
        ) from None
    try:
        data = _parse_json(text) if media in JSON_TYPES else read_data(text, "body")
    except ScenarioError as exc:
        raise MalformedBody(exc.problems) from None
    except RecursionError:
        raise MalformedBody(Problem("body", "the document is nested too deeply")) from None
    _check_values(data, MAX_NODES)
    return data


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            Problem("body", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        ) from None
    except ValueError:  # an integer longer than Python converts from text
        raise MalformedBody(
            Problem("body", "a number is too long to read (more than 4,300 digits)")
        ) from None


def canonical(scenario: Scenario) -> tuple[dict[str, Any], str]:
    """The scenario as canonical JSON data, and the SHA-256 of its compact sorted JSON.

    Two bodies that say the same thing (YAML or JSON, keys in any order, comments or
    not) give the same digest. Only the keys the body sets are kept, as ``topo plan``
    keeps them in the plan's ``scenario.yaml``; so a default spelt out is a different
    scenario from one left unsaid, and planning the data gives the CLI's bytes.
    """
    data = scenario.model_dump(mode="json", exclude_unset=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return data, hashlib.sha256(text.encode("utf-8")).hexdigest()
