"""The evaluator: three-valued (Kleene) interpretation of a criteria tree for one patient."""

from cartrial.evaluate import atoms_history, atoms_measure, atoms_person, composites  # noqa: F401
from cartrial.evaluate.context import EVALUATOR, Context, evaluate_node
from cartrial.evaluate.result import Evidence, NodeResult, Verdict
from cartrial.evaluate.screen import CriterionReport, ScreeningResult, screen
from cartrial.evaluate.truth import Truth

__all__ = [
    "EVALUATOR",
    "Context",
    "CriterionReport",
    "Evidence",
    "NodeResult",
    "ScreeningResult",
    "Truth",
    "Verdict",
    "evaluate_node",
    "screen",
]
