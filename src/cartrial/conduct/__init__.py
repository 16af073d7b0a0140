"""Running a trial: enrolment and the course, adverse events graded as they are entered, the DLT
board feeding the escalation design, efficacy visits, kinetics pictures and the safety report.

Everything is computed from stored records with the existing calculators
(:mod:`cartrial.calculators`), designs (:mod:`cartrial.designs`) and schedule
(:mod:`cartrial.schedule`); nothing here re-implements a clinical formula.
"""
