"""Dose-escalation designs (numpy only): 3+3, BOIN, and simulation of their operating
characteristics. Library dose indices are 0-based; people see 1-based dose levels."""

from cartrial.designs.base import (
    NO_DOSE,
    Action,
    Decision,
    DecisionRow,
    DecisionTable,
    DoseEscalationDesign,
    MtdSelection,
)
from cartrial.designs.boin import Boin, boin_lambdas
from cartrial.designs.isotonic import isotonic_regression
from cartrial.designs.posterior import posterior_prob_above, posterior_tail_table
from cartrial.designs.simulate import (
    OperatingCharacteristics,
    SimulatedTrials,
    run_trials,
    simulate,
)
from cartrial.designs.three_plus_three import ThreePlusThree

__all__ = [
    "NO_DOSE",
    "Action",
    "Boin",
    "Decision",
    "DecisionRow",
    "DecisionTable",
    "DoseEscalationDesign",
    "MtdSelection",
    "OperatingCharacteristics",
    "SimulatedTrials",
    "ThreePlusThree",
    "boin_lambdas",
    "isotonic_regression",
    "posterior_prob_above",
    "posterior_tail_table",
    "run_trials",
    "simulate",
]
