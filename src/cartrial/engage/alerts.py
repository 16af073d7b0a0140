"""Volunteer alerts: after each sync/import, one digest per confirmed volunteer listing the
trials that became available since they confirmed and fit them (condition, age, distance) —
never twice for the same trial (``engage_alerts_sent``, unique per volunteer and trial).

A trial "becomes available" when the alerts run first sees it open for recruitment (recruiting
or not yet recruiting), whether it was just imported or changed status. The first run ever
records the catalogue as it is (the baseline) and alerts nobody about it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cartrial.domain.trial import Trial
from cartrial.engage.conditions import trial_keys
from cartrial.engage.geo import find_city, haversine_km
from cartrial.engage.mail import Mail, Outbox
from cartrial.engage.service import Engage
from cartrial.engage.volunteers import Profile, Volunteers
from cartrial.persistence.engage_models import AlertSent, TrialSeen, Volunteer

log = logging.getLogger("cartrial.engage.alerts")

OPEN_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING"})


@dataclass
class AlertReport:
    baseline: bool = False
    new_trials: list[str] = field(default_factory=list)
    """Trials that became available in this run."""
    digests: int = 0
    alerts: int = 0


def is_open(trial: Trial) -> bool:
    return (trial.status or "").upper() in OPEN_STATUSES


def nearest_site_km(trial: Trial, lat: float, lon: float) -> float | None:
    """Distance to the trial's nearest site, locating sites without coordinates by city."""
    best: float | None = None
    for s in trial.sites:
        slat, slon = s.latitude, s.longitude
        if slat is None or slon is None:
            place = find_city(s.city, s.country) if s.city else None
            if place is None:
                continue
            slat, slon = place.latitude, place.longitude
        d = haversine_km(lat, lon, slat, slon)
        best = d if best is None else min(best, d)
    return best


def fits(trial: Trial, keys: set[str], profile: Profile, as_of: datetime) -> bool:
    """Condition (finder keys), age on ``as_of`` and distance to the nearest site."""
    if not set(profile.conditions) & keys:
        return False
    age = profile.age_at(as_of.date())
    if trial.min_age_years is not None and age < trial.min_age_years:
        return False
    if trial.max_age_years is not None and age > trial.max_age_years:
        return False
    if profile.travel_km is None:
        return True
    distance = nearest_site_km(trial, profile.latitude, profile.longitude)
    return distance is not None and distance <= profile.travel_km


def _trials(source: object) -> list[tuple[Trial, set[str]]]:
    """Trials with their condition keys from finder entries (``.trial``, ``.condition_keys``),
    protocols, trials, a ``Catalog`` (``.protocols``) or a mapping of any of these."""
    items: Any = getattr(source, "protocols", source)
    if isinstance(items, Mapping):
        items = items.values()
    out: list[tuple[Trial, set[str]]] = []
    for item in items:
        trial = item if isinstance(item, Trial) else item.trial
        out.append((trial, trial_keys(trial, getattr(item, "condition_keys", ()))))
    return out


def sync_seen(db: Session, trials: list[Trial], now: datetime) -> tuple[bool, list[str]]:
    """Record first sightings and open/closed changes; returns (baseline run, newly open)."""
    baseline = not db.scalar(select(func.count()).select_from(TrialSeen))
    newly_open: list[str] = []
    for t in trials:
        row = db.get(TrialSeen, t.nct_id)
        open_now = is_open(t)
        if row is None:
            db.add(
                TrialSeen(
                    nct_id=t.nct_id,
                    first_seen_at=now,
                    open_since=now if open_now else None,
                    baseline=baseline,
                )
            )
            if open_now and not baseline:
                newly_open.append(t.nct_id)
        elif open_now and row.open_since is None:
            row.open_since = now
            row.baseline = False
            newly_open.append(t.nct_id)
        elif not open_now and row.open_since is not None:
            row.open_since = None
    db.flush()
    return baseline, newly_open


def run_alerts(
    db: Session,
    catalog: object,
    engage: Engage,
    *,
    now: datetime,
    base_url: str | None = None,
) -> AlertReport:
    """Queue one digest per confirmed volunteer with the newly available trials that fit.

    ``catalog``: the finder store's entries (what the app shows, synced records included), or
    protocols / trials / a ``Catalog`` / a mapping of these.
    Idempotent: a second run with nothing new queues nothing. Call it after every sync/import
    (and from cron: ``cartrial alerts run``); the caller commits.
    """
    keyed = _trials(catalog)
    trials = [t for t, _ in keyed]
    keys_of = {t.nct_id: k for t, k in keyed}
    baseline, newly = sync_seen(db, trials, now)
    report = AlertReport(baseline=baseline, new_trials=newly)
    seen = {r.nct_id: r for r in db.scalars(select(TrialSeen)).all()}
    by_id = {t.nct_id: t for t in trials}
    repo = Volunteers(db, engage)
    outbox = Outbox(db, engage.cipher)
    for v in repo.confirmed():
        if v.confirmed_at is None:
            continue
        profile = repo.profile(v)
        already = set(
            db.scalars(select(AlertSent.nct_id).where(AlertSent.volunteer_id == v.id)).all()
        )
        due: list[Trial] = []
        for nct_id, row in sorted(seen.items()):
            trial = by_id.get(nct_id)
            if trial is None or row.open_since is None or row.baseline or nct_id in already:
                continue
            if row.open_since < v.confirmed_at or not fits(trial, keys_of[nct_id], profile, now):
                continue
            due.append(trial)
        if not due:
            continue
        for t in due:
            db.add(AlertSent(volunteer_id=v.id, nct_id=t.nct_id, sent_at=now))
        db.flush()
        outbox.queue(
            digest_mail(repo, v, profile, due, base_url),
            kind="alert_digest",
            now=now,
            volunteer_id=v.id,
        )
        report.digests += 1
        report.alerts += len(due)
    log.info(
        "alerts run: %d newly available trials, %d digests, %d alerts",
        len(newly),
        report.digests,
        report.alerts,
    )
    return report


def digest_mail(
    repo: Volunteers, v: Volunteer, profile: Profile, trials: list[Trial], base_url: str | None
) -> Mail:
    lines = []
    for t in trials:
        lines.append(f"  - {t.nct_id}: {t.brief_title or t.title}")
        lines.append(f"    {repo.engage.link(base_url, '/trials/' + t.nct_id)}")
    n = len(trials)
    body = (
        "Hello,\n\n"
        + (f"{n} new trial" + (" that could fit you is" if n == 1 else "s that could fit you are"))
        + " now open:\n\n"
        + "\n".join(lines)
        + "\n\nWhether you can take part is for the study team to judge; the trial page says "
        "how to get in touch.\n\n"
        "See, change or delete your details: " + repo.link(v, "manage", base_url) + "\n"
        "Unsubscribe (one click): " + repo.link(v, "unsubscribe", base_url) + "\n"
    )
    return Mail(
        to=profile.email,
        subject=f"{n} new CAR-cell trial{'s' if n != 1 else ''} that could fit you",
        body=body,
        headers=repo.unsubscribe_headers(v, base_url),
    )
