"""One mechanism for every interpreter of the criteria tree.

The evaluator, the renderer, the linter, the parser's node records and the SQL compiler each
create one :class:`Interpreter` and register exactly one handler per node class with
``@interp.register(NodeClass)``. Dispatch is by the node's exact class (nodes are final data
classes, so no MRO walk is needed), and :func:`incomplete` lists every interpreter that lacks a
handler for some node kind — the completeness test asserts that it is empty, so a new atom kind
cannot be added without a handler in each interpreter.

Adding an atom kind: the node class in ``criteria/nodes.py`` (and in ``ATOM_TYPES``), then one
handler in each module that owns an interpreter (see ``INTERPRETER_MODULES``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

INTERPRETER_MODULES: tuple[str, ...] = (
    "cartrial.evaluate",
    "cartrial.criteria.render",
    "cartrial.criteria.checks",
    "cartrial.ingest.parse.records",
    "cartrial.explain.leaves",
    "cartrial.finder.requirements",
    "cartrial.sql",
)
"""Modules whose import registers an interpreter's handlers (extended by later interpreters)."""

_ALL: list[Interpreter[Any]] = []


class Interpreter(Generic[F]):
    """A named table of one handler per node class, with a clear error for a missing one."""

    __slots__ = ("name", "_handlers")

    def __init__(self, name: str, *, track: bool = True) -> None:
        self.name = name
        self._handlers: dict[type, F] = {}
        if track:  # untracked ones (tests, probes) stay out of the completeness check
            _ALL.append(self)

    def register(self, *node_types: type) -> Callable[[F], F]:
        """Decorator: ``fn`` handles every class in ``node_types`` (registered once each)."""

        def add(fn: F) -> F:
            for cls in node_types:
                if cls in self._handlers:
                    raise ValueError(
                        f"{self.name}: a handler for {cls.__name__} is registered twice"
                    )
                self._handlers[cls] = fn
            return fn

        return add

    def handler(self, node_type: type) -> F:
        try:
            return self._handlers[node_type]
        except KeyError:
            raise TypeError(f"{self.name}: no handler for node kind {node_type.__name__}") from None

    def __call__(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        return self.handler(type(node))(node, *args, **kwargs)

    def handled(self) -> frozenset[type]:
        return frozenset(self._handlers)

    def missing(self, node_types: Iterable[type]) -> list[str]:
        return sorted(cls.__name__ for cls in node_types if cls not in self._handlers)


def interpreters() -> tuple[Interpreter[Any], ...]:
    """Every interpreter created so far (import ``INTERPRETER_MODULES`` first to see them all)."""
    return tuple(_ALL)


def load_all(extra: Iterable[str] = ()) -> tuple[Interpreter[Any], ...]:
    """Import every interpreter module (plus ``extra``) and return all interpreters."""
    for name in (*INTERPRETER_MODULES, *extra):
        importlib.import_module(name)
    return interpreters()


def incomplete(node_types: Iterable[type], extra: Iterable[str] = ()) -> dict[str, list[str]]:
    """Interpreter name -> node kinds it cannot handle; empty when every interpreter is complete."""
    kinds = tuple(node_types)
    gaps = {i.name: i.missing(kinds) for i in load_all(extra)}
    return {name: missing for name, missing in gaps.items() if missing}
