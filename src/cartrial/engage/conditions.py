"""The conditions a volunteer can choose, and those a trial is for: the finder's condition keys
(``cartrial.finder.conditions``), so "lupus" means the same on the finder and in alerts."""

from __future__ import annotations

from collections.abc import Iterable

from cartrial.domain.trial import Trial
from cartrial.finder import conditions as cond


def choices() -> list[tuple[str, str]]:
    """(key, label) of every condition, in the finder's order."""
    return [(c.key, c.label) for c in cond.CONDITIONS]


def known_keys() -> set[str]:
    return {c.key for c in cond.CONDITIONS}


def label(key: str) -> str:
    c = cond.by_key(key)
    return c.label if c is not None else key


def trial_keys(trial: Trial, condition_keys: Iterable[str] = ()) -> set[str]:
    """The finder's keys for a trial: those given (a finder entry's) plus those whose
    vocabulary keys the trial's computable diseases name."""
    diseases = set(trial.diseases)
    keys = set(condition_keys)
    keys.update(c.key for c in cond.CONDITIONS if diseases & set(c.vocab_keys))
    return keys
