"""Protocol files: YAML/JSON with ``schema_version``, validated at load.

Errors name the file, the criterion id and the field. Older schema versions are migrated one
step at a time by the functions in ``MIGRATIONS``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import TypeAdapter, ValidationError

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.protocol import SCHEMA_VERSION, Protocol
from cartrial.domain.errors import DataError

# version N -> function turning a version-N document into version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

if TYPE_CHECKING:
    import yaml


@functools.cache
def _criterion_adapter() -> TypeAdapter[Any]:
    """Built on first use: a start that reads cached protocols validates no criterion."""
    # Criterion is an Annotated union (a discriminated union), not a class: mypy cannot type it
    return TypeAdapter(cast(Any, Criterion))


def _yaml_loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when present: ten times faster on the protocol files. PyYAML is
    imported here, not at start-up, since cached protocols need no YAML parsing."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


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
    import yaml

    try:
        doc = json.loads(text) if p.suffix == ".json" else yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a safe loader
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not valid YAML/JSON: {exc}".splitlines()[0], where=str(p)) from None
    return parse_protocol(doc, where=str(p))


def dump_protocol(protocol: Protocol) -> str:
    import yaml

    data = protocol.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def parse_criterion(data: Any, *, where: str = "<criterion>") -> Criterion:
    try:
        node: Criterion = _criterion_adapter().validate_python(data)
        return node
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, data), where=where) from None


def _describe(exc: ValidationError, doc: Any) -> str:
    """One line per error: the criterion (its id, or the id it would be given) and the field."""
    lines = []
    for err in exc.errors()[:10]:
        crit_id, field = _locate(doc, tuple(err["loc"]))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if crit_id is None:
            lines.append(f"field '{field or '<root>'}': {msg}")
        elif field:
            lines.append(f"criterion {crit_id}: field '{field}': {msg}")
        else:  # a rule on the whole node (e.g. exactly one threshold)
            lines.append(f"criterion {crit_id}: {msg}")
    more = len(exc.errors()) - 10
    if more > 0:
        lines.append(f"... and {more} more errors")
    return "; ".join(lines)


def _own_id(node: Any, default: str | None) -> str | None:
    explicit = node.get("id") if isinstance(node, dict) else None
    return explicit if isinstance(explicit, str) else default


def _locate(doc: Any, loc: tuple[Any, ...]) -> tuple[str | None, str]:
    """(innermost criterion's id, field path inside it) for a pydantic error location.

    A criterion without an id is named by the id :func:`assign_ids` will give it (``inc-2``,
    ``inc-1.3``); the field path starts at that criterion (``allowed[0]``), empty for an error
    on the node as a whole. Outside the criteria, the path is from the document's root.
    """
    node = doc
    is_criterion = isinstance(doc, dict) and "kind" in doc and "criteria" not in doc
    crit_id = _own_id(doc, None) if is_criterion else None
    keys: list[str] = []  # mapping keys walked so far (to recognise criteria lists)
    field: list[str] = []
    for part in loc:
        entered: str | None = None  # the default id of a criterion entered at this step
        if isinstance(node, dict) and part in node:
            node = node[part]
            keys.append(str(part))
            field.append(str(part))
            if part == "item" and crit_id is not None:
                entered = f"{crit_id}.1"
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            field.append(f"[{part}]")
            if keys[-2:] in (["criteria", "inclusion"], ["criteria", "exclusion"]):
                entered = f"{'inc' if keys[-1] == 'inclusion' else 'exc'}-{part + 1}"
            elif keys[-1:] == ["items"] and crit_id is not None:
                entered = f"{crit_id}.{part + 1}"
        elif isinstance(part, str) and isinstance(node, dict) and node.get("kind") == part:
            continue  # discriminator tags (e.g. 'measurement') appear in pydantic locs
        else:
            field.append(str(part))
            continue
        if entered is not None and isinstance(node, dict):
            crit_id = _own_id(node, entered)
            field = []
    text = ""
    for p in field:
        text += p if p.startswith("[") or not text else f".{p}"
    return crit_id, text
