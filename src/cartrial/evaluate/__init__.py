"""The evaluator: three-valued (Kleene) interpretation of a criteria tree for one patient.

Semantics another interpreter (the SQL compiler) must reproduce:

* Kleene AND/OR/at-least over TRUE, FALSE, UNKNOWN (``truth.py``); ``not`` swaps TRUE/FALSE.
* ManualReview takes the favourable value as an assumption, which decides a composite only when
  every computable sibling is known (``composites.py``: an exception rescues a computable
  criterion known to fail, never an unknown one).
* Measurements: the latest value inside the look-back (default: the screening window); within a
  day the later instant; several at the same instant -> the least favourable to the patient.
  Absent or too old -> UNKNOWN. History (conditions, drugs, vaccines, procedures): absent ->
  FALSE, except when an unrecognised record of the patient, dated inside the window, may be the
  thing asked (``atoms_history.possible_matches``) -> UNKNOWN.
* Age with a partial birth date: decided only when every possible age agrees (CrCl/eGFR too).
* A score with no total (2019 SLE entry criterion not met) meets no threshold (FALSE).
"""

from cartrial.evaluate import atoms_history, atoms_measure, atoms_person, composites  # noqa: F401
from cartrial.evaluate.context import EVALUATOR, Context, evaluate_node
from cartrial.evaluate.result import Evidence, NodeResult, Verdict
from cartrial.evaluate.screening import CriterionReport, ScreeningResult, screen, verdict_only
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
    "verdict_only",
]
