"""Protocol files: YAML/JSON with ``schema_version``, validated at load.

Errors name the file, the criterion id and the field. Older schema versions are migrated one
step at a time by the functions in ``MIGRATIONS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.protocol import SCHEMA_VERSION, Protocol
from cartrial.domain.errors import DataError

# version N -> function turning a version-N document into version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_CRITERION: TypeAdapter[Any] = TypeAdapter(Criterion)


class ProtocolError(DataError):
    """A protocol file failed validation; the message names file, criterion and field."""


def migrate(doc: dict[str, Any], *, where: str) -> dict[str, Any]:
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise ProtocolError("missing or non-integer schema_version", where=where)
    if version > SCHEMA_VERSION:
        raise ProtocolError(
            f"schema_version {version} is newer than this cartrial ({SCHEMA_VERSION})",
            where=where,
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ProtocolError(f"no migration from schema_version {version}", where=where)
        doc = step(doc)
        version = doc["schema_version"]
    return doc


def parse_protocol(doc: Any, *, where: str = "<protocol>") -> Protocol:
    if not isinstance(doc, dict):
        raise ProtocolError("a protocol document must be a mapping", where=where)
    doc = migrate(doc, where=where)
    try:
        return Protocol.model_validate(doc)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, doc), where=where) from None
    except ValueError as exc:
        raise ProtocolError(str(exc), where=where) from None


def load_protocol(path: str | Path) -> Protocol:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"cannot read: {exc.strerror}", where=str(p)) from None
    try:
        doc = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not valid YAML/JSON: {exc}".splitlines()[0], where=str(p)) from None
    return parse_protocol(doc, where=str(p))


def dump_protocol(protocol: Protocol) -> str:
    data = protocol.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def parse_criterion(data: Any, *, where: str = "<criterion>") -> Criterion:
    try:
        node: Criterion = _CRITERION.validate_python(data)
        return node
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, data), where=where) from None


def _describe(exc: ValidationError, doc: Any) -> str:
    """One line per error: criterion id (nearest enclosing node with an id) and field path."""
    lines = []
    for err in exc.errors()[:10]:
        loc = tuple(err["loc"])
        crit_id, field = _locate(doc, loc)
        where = f"criterion {crit_id}: " if crit_id else ""
        lines.append(f"{where}field '{field}': {err['msg']}")
    more = len(exc.errors()) - 10
    if more > 0:
        lines.append(f"... and {more} more errors")
    return "; ".join(lines)


def _locate(doc: Any, loc: tuple[Any, ...]) -> tuple[str | None, str]:
    node = doc
    crit_id: str | None = None
    path: list[str] = []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(str(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(f"[{part}]")
        else:
            # discriminator tags (e.g. 'measurement') appear in pydantic locs: skip them
            if isinstance(part, str) and isinstance(node, dict) and node.get("kind") == part:
                continue
            path.append(str(part))
            continue
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            crit_id = node["id"]
    field = ".".join(p for p in path if not p.startswith("[")) or "<root>"
    if path and path[-1].startswith("["):
        field = field + path[-1]
    return crit_id, path[-1] if path and crit_id else field
