"""Every interpreter of the criteria tree has exactly one handler per node kind."""

from __future__ import annotations

import pytest

from cartrial.criteria.interpret import Interpreter, incomplete, load_all
from cartrial.criteria.nodes import NODE_TYPES


def test_every_interpreter_handles_every_node_kind() -> None:
    assert incomplete(NODE_TYPES) == {}


def test_the_known_interpreters_are_registered() -> None:
    names = {i.name for i in load_all()}
    assert {"evaluate", "render", "lint"} <= names


def test_a_missing_handler_is_reported_by_name() -> None:
    class Fake:
        pass

    interp: Interpreter[object] = Interpreter("probe", track=False)
    assert interp.missing([Fake]) == ["Fake"]
    with pytest.raises(TypeError, match="probe: no handler for node kind Fake"):
        interp(Fake())


def test_a_handler_registered_twice_is_refused() -> None:
    interp: Interpreter[object] = Interpreter("probe2", track=False)
    interp.register(int)(lambda n: n)
    with pytest.raises(ValueError, match="registered twice"):
        interp.register(int)(lambda n: n)
