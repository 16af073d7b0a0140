"""Core domain objects shared by every interpreter. No I/O lives here."""

from cartrial.domain.errors import CartrialError, DataError, UnknownUnitError
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    Patient,
    ProcedureRecord,
    Sex,
    Unrecognized,
)
from cartrial.domain.quantity import Code, Quantity
from cartrial.domain.trial import (
    Arm,
    DoseLevel,
    Endpoint,
    LymphodepletionAgent,
    LymphodepletionRegimen,
    Schedule,
    Site,
    Trial,
    Visit,
)

__all__ = [
    "Arm",
    "CartrialError",
    "Code",
    "ConditionRecord",
    "DataError",
    "DoseLevel",
    "Endpoint",
    "ImmunizationRecord",
    "LymphodepletionAgent",
    "LymphodepletionRegimen",
    "MedicationExposure",
    "Observation",
    "Patient",
    "ProcedureRecord",
    "Quantity",
    "Schedule",
    "Sex",
    "Site",
    "Trial",
    "UnknownUnitError",
    "Unrecognized",
    "Visit",
]
