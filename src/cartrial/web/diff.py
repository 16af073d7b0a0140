"""What changed between two screening runs of one patient, and why.

A run is compared with the one before it trial by trial: the verdict, and every criterion whose
outcome moved (or that appeared or disappeared with a new protocol version). The causes list
the inputs that differ: the patient record's version, a protocol's version hash, the date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cartrial.persistence.repositories import Run


@dataclass(frozen=True)
class CriterionChange:
    id: str
    text: str
    before: str | None
    after: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TrialChange:
    trial: str
    title: str
    before: str | None
    after: str | None
    protocol_changed: bool
    criteria: tuple[CriterionChange, ...] = ()
    missing_added: tuple[str, ...] = ()
    missing_settled: tuple[str, ...] = ()

    @property
    def verdict_changed(self) -> bool:
        return self.before != self.after

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "title": self.title,
            "before": self.before,
            "after": self.after,
            "protocol_changed": self.protocol_changed,
            "criteria": [c.to_json() for c in self.criteria],
            "missing_added": list(self.missing_added),
            "missing_settled": list(self.missing_settled),
        }


@dataclass(frozen=True)
class RunDiff:
    previous_run_id: str
    causes: tuple[str, ...]
    changes: tuple[TrialChange, ...]
    unchanged: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "previous_run": self.previous_run_id,
            "causes": list(self.causes),
            "changes": [c.to_json() for c in self.changes],
            "unchanged": list(self.unchanged),
        }


def diff_runs(previous: Run, current: Run) -> RunDiff:
    causes: list[str] = []
    if previous.patient_version != current.patient_version:
        causes.append(
            f"patient record changed (version {previous.patient_version} → "
            f"{current.patient_version})"
        )
    if previous.as_of != current.as_of:
        causes.append(f"screening date {previous.as_of.isoformat()} → {current.as_of.isoformat()}")
    before, after = previous.by_trial(), current.by_trial()
    changed_protocols = sorted(
        t for t in before.keys() & after.keys() if before[t].protocol_hash != after[t].protocol_hash
    )
    if changed_protocols:
        causes.append("protocol updated: " + ", ".join(changed_protocols))
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    if added:
        causes.append("trials added: " + ", ".join(added))
    if removed:
        causes.append("trials no longer screened: " + ", ".join(removed))
    changes: list[TrialChange] = []
    unchanged: list[str] = []
    for trial in sorted(before.keys() | after.keys()):
        old = before[trial].result if trial in before else None
        new = after[trial].result if trial in after else None
        change = _trial_change(trial, old, new, trial in changed_protocols)
        if change is None:
            unchanged.append(trial)
        else:
            changes.append(change)
    return RunDiff(
        previous_run_id=previous.run_id,
        causes=tuple(causes),
        changes=tuple(changes),
        unchanged=tuple(unchanged),
    )


def _trial_change(
    trial: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    protocol_changed: bool,
) -> TrialChange | None:
    ref = new or old or {}
    old_crit = {c["id"]: c for c in (old or {}).get("criteria", [])}
    new_crit = {c["id"]: c for c in (new or {}).get("criteria", [])}
    crit_changes: list[CriterionChange] = []
    for cid in list(dict.fromkeys([*old_crit, *new_crit])):
        o, n = old_crit.get(cid), new_crit.get(cid)
        before = o["outcome"] if o else None
        after = n["outcome"] if n else None
        if before == after:
            continue
        src = n or o or {}
        crit_changes.append(
            CriterionChange(
                id=cid,
                text=str(src.get("text", "")),
                before=before,
                after=after,
                reason=str((n or {}).get("reason", "")),
            )
        )
    old_missing = list((old or {}).get("missing", []))
    new_missing = list((new or {}).get("missing", []))
    missing_added = tuple(m for m in new_missing if m not in old_missing)
    missing_settled = tuple(m for m in old_missing if m not in new_missing)
    v_old = old.get("verdict") if old else None
    v_new = new.get("verdict") if new else None
    if (
        v_old == v_new
        and not crit_changes
        and not missing_added
        and not missing_settled
        and not protocol_changed
    ):
        return None
    return TrialChange(
        trial=trial,
        title=str(ref.get("title", "")),
        before=v_old,
        after=v_new,
        protocol_changed=protocol_changed,
        criteria=tuple(crit_changes),
        missing_added=missing_added,
        missing_settled=missing_settled,
    )
