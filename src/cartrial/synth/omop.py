"""A synthetic OMOP CDM (5.4 subset), vectorised with numpy, written as parquet or DuckDB.

The persons are a rheumatology/immunology referral cohort, not the general population: about
three in four carry a target disease (RA 20 %, SLE 15 %, pSS 10 %, SSc 8 %, IBD 8 %, IIM 6 %,
ITP 5 %, Still's 3 %), since a screening population is the patients a centre already sees. Each
disease brings its therapy history (glucocorticoids, csDMARDs, MMF, cyclophosphamide, rituximab,
belimumab, biologics, JAK inhibitors ...) with dates, routes and stop reasons; every person gets
labs around the screening date with UCUM units (about 12 % in an alternative unit, 3 % in a unit
that has no conversion), censored values, coded serologies, disease scores, vaccines,
procedures, comorbidities and an observation period. Data are missing at random throughout.
Everything is drawn relative to ``as_of`` so the screening date sees recent labs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cartrial import vocab
from cartrial.synth.vocabulary import ROUTES, SynthVocabulary, build

EPOCH = date(1970, 1, 1)
DEFAULT_AS_OF = date(2025, 6, 30)
CHUNK = 100_000

DISEASES: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "none": (0.25, ()),
    "ra": (0.20, (("rheumatoid_arthritis", 1.0),)),
    "sle": (0.15, (("sle", 1.0), ("lupus_nephritis", 0.3))),
    "pss": (0.10, (("primary_sjogren", 1.0),)),
    "ssc": (
        0.08,
        (
            ("systemic_sclerosis", 1.0),
            ("ssc_diffuse_cutaneous", 0.5),
            ("ssc_ild", 0.25),
            ("pah", 0.05),
        ),
    ),
    "ibd": (0.08, (("crohns_disease", 0.5), ("ulcerative_colitis", 0.5))),
    "iim": (
        0.06,
        (
            ("dermatomyositis", 0.45),
            ("polymyositis", 0.2),
            ("antisynthetase_syndrome", 0.2),
            ("imnm", 0.1),
            ("inclusion_body_myositis", 0.05),
        ),
    ),
    "itp": (0.05, (("itp", 1.0),)),
    "stills": (0.03, (("adult_onset_stills", 1.0),)),
}

THERAPY: dict[str, tuple[str, ...]] = {
    "none": ("prednisone", "methotrexate"),
    "ra": (
        "prednisone",
        "methotrexate",
        "leflunomide",
        "hydroxychloroquine",
        "sulfasalazine",
        "adalimumab",
        "etanercept",
        "infliximab",
        "certolizumab_pegol",
        "tocilizumab",
        "abatacept",
        "rituximab",
        "tofacitinib",
        "baricitinib",
        "upadacitinib",
    ),
    "sle": (
        "prednisone",
        "methylprednisolone",
        "hydroxychloroquine",
        "mycophenolate_mofetil",
        "mycophenolic_acid",
        "azathioprine",
        "cyclophosphamide",
        "rituximab",
        "belimumab",
        "tacrolimus",
        "voclosporin",
        "anifrolumab",
        "telitacicept",
    ),
    "pss": ("prednisone", "hydroxychloroquine", "methotrexate", "rituximab", "azathioprine"),
    "ssc": (
        "prednisone",
        "mycophenolate_mofetil",
        "cyclophosphamide",
        "methotrexate",
        "rituximab",
        "tocilizumab",
        "nintedanib",
    ),
    "ibd": (
        "prednisone",
        "azathioprine",
        "infliximab",
        "adalimumab",
        "vedolizumab",
        "ustekinumab",
        "methotrexate",
        "tofacitinib",
    ),
    "iim": (
        "prednisone",
        "methylprednisolone",
        "methotrexate",
        "azathioprine",
        "mycophenolate_mofetil",
        "tacrolimus",
        "rituximab",
        "ivig",
        "cyclophosphamide",
    ),
    "itp": (
        "prednisone",
        "dexamethasone",
        "ivig",
        "rituximab",
        "eltrombopag",
        "romiplostim",
        "avatrombopag",
        "fostamatinib",
    ),
    "stills": ("prednisone", "methotrexate", "tocilizumab", "cyclosporine"),
}

SCORES: dict[str, tuple[tuple[str, float, float, float], ...]] = {
    # (instrument, low, high, step) drawn uniformly on the grid
    "ra": (
        ("das28_esr", 1.5, 7.5, 0.01),
        ("cdai", 0, 60, 0.5),
        ("haq_di", 0, 3, 0.125),
        ("swollen_joint_count_66", 0, 30, 1),
        ("tender_joint_count_68", 0, 30, 1),
    ),
    "sle": (
        ("selena_sledai", 0, 24, 1),
        ("sledai_2k", 0, 24, 1),
        ("bilag_a_count", 0, 3, 1),
        ("bilag_b_count", 0, 4, 1),
        ("sle_eular_acr_2019", 4, 30, 1),
    ),
    "pss": (("essdai", 0, 25, 1),),
    "ssc": (("mrss", 0, 40, 1), ("ssc_acr_eular_2013", 5, 25, 1)),
    "iim": (
        ("mmt8", 80, 150, 1),
        ("imacs_phga", 0, 10, 0.5),
        ("imacs_ptga", 0, 10, 0.5),
        ("imacs_extramuscular", 0, 10, 0.5),
    ),
}

LABS: dict[str, tuple[float, float, float]] = {
    # key: (mean, sd, share of persons measured), canonical unit
    "hemoglobin": (12.5, 2.0, 0.8),
    "wbc": (6.5, 2.8, 0.8),
    "anc": (3.8, 2.0, 0.7),
    "platelets": (230, 100, 0.8),
    "creatinine": (0.95, 0.6, 0.8),
    "alt": (28, 30, 0.7),
    "ast": (27, 25, 0.7),
    "bilirubin_total": (0.7, 0.6, 0.6),
    "lvef": (58, 9, 0.3),
    "cd19_abs": (140, 120, 0.3),
    "cd19_pct": (8, 6, 0.3),
    "creatine_kinase": (180, 300, 0.3),
    "aldolase": (6, 5, 0.2),
    "inr": (1.05, 0.2, 0.3),
    "prothrombin_time": (12, 2, 0.3),
    "mpap": (25, 10, 0.1),
    "spo2": (96, 3, 0.4),
    "fvc_pct_pred": (82, 18, 0.2),
    "esr": (22, 18, 0.4),
    "crp": (8, 12, 0.5),
}
SEROLOGY: dict[str, float] = {
    "hbsag": 0.5,
    "anti_hbc_total": 0.4,
    "anti_hcv": 0.5,
    "hiv_ab": 0.45,
    "hiv_agab": 0.2,
    "syphilis_rpr": 0.3,
    "syphilis_treponemal": 0.3,
    "ana_presence": 0.3,
    "anti_scl70": 0.15,
    "anti_centromere": 0.15,
    "anti_jo1": 0.1,
    "anti_rna_pol_iii": 0.1,
    "msa_other": 0.08,
}
VIRAL_LOADS = {"hbv_dna": 0.1, "hcv_rna": 0.1}
STOP_REASONS = (
    None,
    None,
    None,
    None,
    "lack of efficacy",
    "treatment failure",
    "adverse reaction",
    "intolerance",
    "no adverse reaction",
    "patient preference",
    "Disease  progression",
    "side-effect: nausea",
    "failed",
    "well tolerated",
)
BOGUS_UNIT = "{bogus}"
MISSING_UNIT_ID = 999_999_999  # a unit concept the CDM does not define


@dataclass
class _Ids:
    next: dict[str, int]

    def take(self, table: str, n: int) -> np.ndarray:
        start = self.next.get(table, 1)
        self.next[table] = start + n
        return np.arange(start, start + n, dtype=np.int64)


def _unit_codes() -> tuple[str, ...]:
    codes = {BOGUS_UNIT, "", "{count}", "{score}"}
    for key in (*LABS, "body_weight", "body_height", "crcl_cockcroft_gault", *VIRAL_LOADS):
        info = vocab.lab(key)
        if info.canonical_unit:
            codes.add(info.canonical_unit)
        codes.update(a.unit for a in info.alternative_units if a.factor is not None)
    codes.discard("")
    return tuple(sorted(codes))


def synth_vocabulary() -> SynthVocabulary:
    return build(_unit_codes())


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.date32())


def _pick(rng: np.random.Generator, options: list[int], n: int) -> np.ndarray:
    return np.asarray(options, dtype=np.int64)[rng.integers(0, len(options), n)]


def _chunk(
    rng: np.random.Generator, first: int, n: int, as_of: int, v: SynthVocabulary, ids: _Ids
) -> dict[str, pa.Table]:
    pid = np.arange(first, first + n, dtype=np.int64)
    # ---------------------------------------------------------------- person
    birth = as_of - rng.integers(int(7 * 365.25), int(90 * 365.25), n)
    bdays = birth.astype("datetime64[D]")
    months = bdays.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (bdays - months.astype("datetime64[D]")).astype(np.int64) + 1
    unknown_birth = rng.random(n) < 0.01
    gender = np.where(rng.random(n) < 0.52, 8532, 8507)
    gender = np.where(rng.random(n) < 0.01, 0, gender)
    female = gender == 8532
    age = (as_of - birth) / 365.25
    person = pa.table(
        {
            "person_id": pid,
            "gender_concept_id": gender.astype(np.int64),
            "year_of_birth": year,
            "month_of_birth": pa.array(month, mask=unknown_birth),
            "day_of_birth": pa.array(day, mask=unknown_birth),
            "birth_datetime": pa.array(
                bdays.astype("datetime64[us]"), type=pa.timestamp("us"), mask=unknown_birth
            ),
            "race_concept_id": np.zeros(n, dtype=np.int64),
            "ethnicity_concept_id": np.zeros(n, dtype=np.int64),
        }
    )
    period = pa.table(
        {
            "observation_period_id": pid,
            "person_id": pid,
            "observation_period_start_date": _dates(np.maximum(birth, as_of - 3650)),
            "observation_period_end_date": _dates(np.full(n, as_of)),
            "period_type_concept_id": np.full(n, 44814724, dtype=np.int64),
        }
    )
    # ---------------------------------------------------------------- diseases
    names = list(DISEASES)
    probs = np.array([DISEASES[k][0] for k in names])
    category = rng.choice(len(names), size=n, p=probs / probs.sum())
    c_person: list[np.ndarray] = []
    c_key: list[np.ndarray] = []
    c_comorbid: list[np.ndarray] = []
    for ci, name in enumerate(names):
        who = pid[category == ci]
        for key, p in DISEASES[name][1]:
            hit = who[rng.random(len(who)) < p]
            c_person.append(hit)
            c_key.append(np.full(len(hit), key, dtype=object))
            c_comorbid.append(np.zeros(len(hit), dtype=bool))
    targets = {k for _, ks in DISEASES.values() for k, _ in ks}
    for key in sorted(vocab.concept_keys("conditions")):
        if key in targets:
            continue
        p = 0.012
        chance = rng.random(n) < p
        if key in ("pregnancy", "lactation"):
            chance = (rng.random(n) < 0.05) & female & (age > 16) & (age < 48)
        hit = pid[chance]
        c_person.append(hit)
        c_key.append(np.full(len(hit), key, dtype=object))
        c_comorbid.append(np.ones(len(hit), dtype=bool))
    cp = np.concatenate(c_person)
    ck = np.concatenate(c_key)
    comorbid = np.concatenate(c_comorbid)
    m = len(cp)
    onset = as_of - rng.integers(0, int(15 * 365.25), m)
    recent = rng.random(m) < 0.08
    onset = np.where(recent, as_of - rng.integers(0, 200, m), onset)
    ended = rng.random(m) < np.where(comorbid, 0.4, 0.15)
    end = onset + rng.integers(10, 2000, m)
    style = rng.random(m)
    names_u, which = np.unique(ck.astype(str), return_inverse=True)
    prim = np.array([v.primary.get(("conditions", k), 0) for k in names_u], dtype=np.int64)[which]
    icd = np.array([v.source_only.get(("conditions", k), 0) for k in names_u], dtype=np.int64)[
        which
    ]
    kid = np.array([v.child.get(("conditions", k), 0) for k in names_u], dtype=np.int64)[which]
    src = icd
    std = np.where((prim == 0) | ((style > 0.9) & (icd != 0)), 0, np.where(style > 0.7, kid, prim))
    keep = (std != 0) | (src != 0)
    cond = pa.table(
        {
            "condition_occurrence_id": ids.take("condition_occurrence", int(keep.sum())),
            "person_id": cp[keep],
            "condition_concept_id": std[keep],
            "condition_start_date": _dates(onset[keep]),
            "condition_end_date": pa.array(
                end[keep].astype(np.int32), type=pa.date32(), mask=~ended[keep]
            ),
            "condition_type_concept_id": np.full(int(keep.sum()), 32817, dtype=np.int64),
            "condition_source_concept_id": src[keep],
        }
    )
    # ---------------------------------------------------------------- drugs
    counts = rng.poisson(np.where(category == 0, 0.4, 2.8))
    dp = np.repeat(pid, counts)
    dcat = np.repeat(category, counts)
    k = len(dp)
    dkey = np.empty(k, dtype=object)
    for ci, name in enumerate(names):
        sel = dcat == ci
        opts = THERAPY[name]
        dkey[sel] = np.asarray(opts, dtype=object)[rng.integers(0, len(opts), int(sel.sum()))]
    rare = rng.random(k) < 0.004
    dkey[rare] = np.asarray(
        ["tisagenlecleucel", "axicabtagene_ciloleucel", "fludarabine"], dtype=object
    )[rng.integers(0, 3, int(rare.sum()))]
    start = as_of - rng.integers(0, 3000, k)
    start = np.where(rng.random(k) < 0.15, as_of - rng.integers(0, 60, k), start)
    dur = rng.integers(0, 900, k)
    no_end = rng.random(k) < 0.05
    gc = np.isin(dkey, list(vocab.drugs_in_class("glucocorticoids")))
    route_names = np.where(
        gc & (rng.random(k) < 0.1),
        "Topical",
        np.where(gc & (rng.random(k) < 0.06), "Inhalation", "Oral"),
    )
    iv = np.isin(
        dkey,
        [
            "rituximab",
            "cyclophosphamide",
            "belimumab",
            "infliximab",
            "ivig",
            "tocilizumab",
            "vedolizumab",
            "anifrolumab",
            "tisagenlecleucel",
            "axicabtagene_ciloleucel",
            "fludarabine",
            "methylprednisolone",
        ],
    )
    route_names = np.where(iv, "Intravenous", route_names)
    route = np.select([route_names == r for r in ROUTES], list(ROUTES.values()), 0).astype(np.int64)
    route = np.where(rng.random(k) < 0.05, 0, route)
    drugs_u, dwhich = np.unique(dkey.astype(str), return_inverse=True)
    dprim = np.array([v.primary.get(("medications", x), 0) for x in drugs_u], dtype=np.int64)[
        dwhich
    ]
    dkid = np.array([v.child.get(("medications", x), 0) for x in drugs_u], dtype=np.int64)[dwhich]
    dconcept = np.where((rng.random(k) < 0.25) & (dkid != 0), dkid, dprim)
    reasons = np.asarray(STOP_REASONS, dtype=object)[rng.integers(0, len(STOP_REASONS), k)]
    # vaccines: one in about eight persons, within the last three months
    vac_keys = [
        key for key in sorted(vocab.concept_keys("vaccines")) if ("vaccines", key) in v.primary
    ]
    vp = pid[rng.random(n) < 0.12]
    nv = len(vp)
    vstart = as_of - rng.integers(0, 90, nv)
    vconcept = _pick(rng, [v.primary[("vaccines", x)] for x in vac_keys], nv)
    drug = pa.table(
        {
            "drug_exposure_id": ids.take("drug_exposure", k + nv),
            "person_id": np.concatenate([dp, vp]),
            "drug_concept_id": np.concatenate([dconcept, vconcept]),
            "drug_exposure_start_date": _dates(np.concatenate([start, vstart])),
            "drug_exposure_end_date": pa.array(
                np.concatenate([start + dur, vstart]).astype(np.int32),
                type=pa.date32(),
                mask=np.concatenate([no_end, np.zeros(nv, bool)]),
            ),
            "drug_type_concept_id": np.full(k + nv, 32817, dtype=np.int64),
            "route_concept_id": np.concatenate([route, np.zeros(nv, dtype=np.int64)]),
            "stop_reason": pa.array(list(reasons) + [None] * nv, type=pa.string()),
        }
    )
    # ---------------------------------------------------------------- procedures
    proc_ids = [
        (key, v.primary.get(("procedures", key)), v.source_only.get(("procedures", key)))
        for key in sorted(vocab.concept_keys("procedures"))
    ]
    proc_ids = [(key, p or 0, s or 0) for key, p, s in proc_ids if p or s]
    pp = pid[rng.random(n) < 0.04]
    npr = len(pp)
    choice = rng.integers(0, len(proc_ids), npr) if proc_ids else np.zeros(0, dtype=np.int64)
    proc = pa.table(
        {
            "procedure_occurrence_id": ids.take("procedure_occurrence", npr),
            "person_id": pp,
            "procedure_concept_id": np.array([proc_ids[c][1] for c in choice], dtype=np.int64),
            "procedure_date": _dates(as_of - rng.integers(0, 400, npr)),
            "procedure_type_concept_id": np.full(npr, 32817, dtype=np.int64),
            "procedure_source_concept_id": np.array(
                [proc_ids[c][2] for c in choice], dtype=np.int64
            ),
        }
    )
    meas = _labs(rng, pid, category, names, female, age, as_of, v, ids)
    obs = _scores(rng, pid, category, names, as_of, v, ids)
    return {
        "person": person,
        "observation_period": period,
        "condition_occurrence": cond,
        "drug_exposure": drug,
        "procedure_occurrence": proc,
        "measurement": meas,
        "observation": obs,
    }


def _lab_rows(
    rng: np.random.Generator,
    who: np.ndarray,
    key: str,
    values: np.ndarray,
    as_of: int,
    v: SynthVocabulary,
    *,
    window: int = 70,
) -> dict[str, np.ndarray]:
    """Rows for one lab key: dates, reported units and values, ranges, censoring."""
    m = len(who)
    info = vocab.lab(key)
    canonical = info.canonical_unit or ""
    alts = [(a.unit, a.factor) for a in info.alternative_units if a.factor]
    r = rng.random(m)
    unit = np.full(
        m,
        v.unit.get(canonical, 0) if canonical and not canonical.startswith("{") else 0,
        dtype=np.int64,
    )
    factor = np.ones(m)
    if alts:
        use = r < 0.12
        pick = rng.integers(0, len(alts), m)
        for i, (u, f) in enumerate(alts):
            sel = use & (pick == i)
            unit[sel] = v.unit[u]
            factor[sel] = f
    unit[(r >= 0.12) & (r < 0.15)] = v.unit[BOGUS_UNIT]
    unit[(r >= 0.15) & (r < 0.155)] = MISSING_UNIT_ID
    reported = np.round(values / factor, 2)
    snap = rng.random(m) < 0.05
    reported = np.where(snap, np.round(reported), reported)
    days = as_of - rng.integers(0, window, m)
    days = np.where(rng.random(m) < 0.03, as_of - rng.integers(100, 800, m), days)
    days = np.where(rng.random(m) < 0.01, as_of + rng.integers(1, 20, m), days)  # after screening
    rng_ = vocab.default_range(key)
    high = np.full(m, np.nan)
    low = np.full(m, np.nan)
    if rng_ is not None:
        give = rng.random(m) < 0.4
        if rng_[1] is not None:
            high = np.where(give, np.round(rng_[1] * rng.uniform(0.9, 1.1, m) / factor, 2), np.nan)
        if rng_[0] is not None:
            low = np.where(give, np.round(rng_[0] / factor, 2), np.nan)
    op = np.zeros(m, dtype=np.int64)
    cr = rng.random(m)
    op[cr < 0.02] = 4171756
    op[(cr >= 0.02) & (cr < 0.035)] = 4172704
    concept = np.full(m, v.primary[("labs", key)], dtype=np.int64)
    return {
        "person_id": who,
        "measurement_concept_id": concept,
        "d": days,
        "value_as_number": reported,
        "value_as_concept_id": np.zeros(m, dtype=np.int64),
        "unit_concept_id": unit,
        "range_low": low,
        "range_high": high,
        "operator_concept_id": op,
    }


def _labs(
    rng: np.random.Generator,
    pid: np.ndarray,
    category: np.ndarray,
    names: list[str],
    female: np.ndarray,
    age: np.ndarray,
    as_of: int,
    v: SynthVocabulary,
    ids: _Ids,
) -> pa.Table:
    parts: list[dict[str, np.ndarray]] = []
    n = len(pid)
    for key, (mean, sd, share) in LABS.items():
        reps = np.where(rng.random(n) < share, 1 + rng.binomial(2, 0.3, n), 0)
        who = np.repeat(pid, reps)
        vals = np.abs(rng.normal(mean, sd, len(who)))
        if key in ("cd19_abs", "cd19_pct"):
            vals = np.where(rng.random(len(who)) < 0.15, 0.0, vals)
        parts.append(_lab_rows(rng, who, key, vals, as_of, v))
    # body weight and height depend on age
    child = age < 18
    for key, adult, kid in (
        ("body_weight", (72, 15), (20, 3, 5)),
        ("body_height", (168, 10), (80, 5.5, 8)),
    ):
        has = rng.random(n) < 0.8
        mu = np.where(child, kid[0] + kid[1] * age, adult[0])
        sdv = np.where(child, kid[2], adult[1])
        parts.append(
            _lab_rows(
                rng, pid[has], key, np.abs(rng.normal(mu[has], sdv[has])), as_of, v, window=40
            )
        )
    rep = rng.random(n) < 0.05
    parts.append(
        _lab_rows(
            rng,
            pid[rep],
            "crcl_cockcroft_gault",
            np.abs(rng.normal(80, 30, int(rep.sum()))),
            as_of,
            v,
        )
    )
    for key, share in VIRAL_LOADS.items():
        who = pid[rng.random(n) < share]
        vals = np.where(rng.random(len(who)) < 0.9, 0.0, rng.uniform(5, 1e5, len(who)))
        parts.append(_lab_rows(rng, who, key, vals, as_of, v))
    for key, share in SEROLOGY.items():
        who = pid[rng.random(n) < share]
        parts.append(
            _qualitative(
                rng,
                who,
                key,
                as_of,
                v,
                ever=key.startswith(("ana", "anti_s", "anti_c", "anti_j", "anti_r", "msa")),
            )
        )
    # a complete pre-screening work-up (every lab and serology in the last three weeks) for
    # some of the patients with a target disease: the persons a centre would actually screen
    workup = pid[(category != 0) & (rng.random(n) < 0.3)]
    for key, (mean, sd, _) in LABS.items():
        vals = np.abs(rng.normal(mean, sd, len(workup)))
        parts.append(_lab_rows(rng, workup, key, vals, as_of, v, window=21))
    for key in ("body_weight",):
        parts.append(
            _lab_rows(
                rng, workup, key, np.abs(rng.normal(72, 15, len(workup))), as_of, v, window=21
            )
        )
    for key in VIRAL_LOADS:
        parts.append(_lab_rows(rng, workup, key, np.zeros(len(workup)), as_of, v, window=21))
    for key in SEROLOGY:
        parts.append(_qualitative(rng, workup, key, as_of, v, ever=False, window=21))
    women = pid[female & (age > 12) & (age < 55)]
    for key, share in (("hcg_serum_qual", 0.4), ("hcg_urine_qual", 0.3)):
        parts.append(
            _qualitative(rng, women[rng.random(len(women)) < share], key, as_of, v, ever=False)
        )
    cols = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    m = len(cols["person_id"])
    return pa.table(
        {
            "measurement_id": ids.take("measurement", m),
            "person_id": cols["person_id"],
            "measurement_concept_id": cols["measurement_concept_id"],
            "measurement_date": _dates(cols["d"]),
            "measurement_type_concept_id": np.full(m, 32817, dtype=np.int64),
            "operator_concept_id": cols["operator_concept_id"],
            "value_as_number": pa.array(
                cols["value_as_number"], mask=np.isnan(cols["value_as_number"])
            ),
            "value_as_concept_id": cols["value_as_concept_id"],
            "unit_concept_id": cols["unit_concept_id"],
            "range_low": pa.array(cols["range_low"], mask=np.isnan(cols["range_low"])),
            "range_high": pa.array(cols["range_high"], mask=np.isnan(cols["range_high"])),
        }
    )


def _qualitative(
    rng: np.random.Generator,
    who: np.ndarray,
    key: str,
    as_of: int,
    v: SynthVocabulary,
    *,
    ever: bool,
    window: int = 45,
) -> dict[str, np.ndarray]:
    m = len(who)
    r = rng.random(m)
    result = np.where(r < 0.06, 9191, 9189).astype(np.int64)
    number = np.full(m, np.nan)
    odd = rng.random(m) < 0.03  # an index value without a coded result
    result[odd] = 0
    number[odd] = np.round(rng.uniform(0, 3, int(odd.sum())), 2)
    days = as_of - rng.integers(0, 3000 if ever else window, m)
    return {
        "person_id": who,
        "measurement_concept_id": np.full(m, v.primary[("labs", key)], dtype=np.int64),
        "d": days,
        "value_as_number": number,
        "value_as_concept_id": result,
        "unit_concept_id": np.zeros(m, dtype=np.int64),
        "range_low": np.full(m, np.nan),
        "range_high": np.full(m, np.nan),
        "operator_concept_id": np.zeros(m, dtype=np.int64),
    }


def _scores(
    rng: np.random.Generator,
    pid: np.ndarray,
    category: np.ndarray,
    names: list[str],
    as_of: int,
    v: SynthVocabulary,
    ids: _Ids,
) -> pa.Table:
    per: list[np.ndarray] = []
    concept: list[np.ndarray] = []
    value: list[np.ndarray] = []
    days: list[np.ndarray] = []
    for ci, name in enumerate(names):
        who = pid[category == ci]
        for inst, lo, hi, step in SCORES.get(name, ()):
            got = who[rng.random(len(who)) < 0.85]
            m = len(got)
            steps = int(round((hi - lo) / step))
            per.append(got)
            concept.append(np.full(m, v.primary[("labs", inst)], dtype=np.int64))
            value.append(np.round(lo + step * rng.integers(0, steps + 1, m), 4))
            old = inst.endswith(("2019", "2013"))
            days.append(as_of - rng.integers(0, 3000 if old else 50, m))
    m = int(sum(len(p) for p in per))
    return pa.table(
        {
            "observation_id": ids.take("observation", m),
            "person_id": np.concatenate(per),
            "observation_concept_id": np.concatenate(concept),
            "observation_date": _dates(np.concatenate(days)),
            "observation_type_concept_id": np.full(m, 32817, dtype=np.int64),
            "value_as_number": np.concatenate(value),
            "value_as_concept_id": np.zeros(m, dtype=np.int64),
            "unit_concept_id": np.zeros(m, dtype=np.int64),
        }
    )


def vocabulary_tables(v: SynthVocabulary) -> dict[str, pa.Table]:
    rows = v.rows
    return {
        "concept": pa.table(
            {
                "concept_id": pa.array([r[0] for r in rows], type=pa.int64()),
                "concept_name": [r[1] for r in rows],
                "domain_id": [r[2] for r in rows],
                "vocabulary_id": [r[3] for r in rows],
                "concept_class_id": [r[4] for r in rows],
                "standard_concept": ["S"] * len(rows),
                "concept_code": [r[5] for r in rows],
                "valid_start_date": _dates(np.zeros(len(rows))),
                "valid_end_date": _dates(np.full(len(rows), (date(2099, 12, 31) - EPOCH).days)),
                "invalid_reason": pa.nulls(len(rows), type=pa.string()),
            }
        ),
        "concept_ancestor": pa.table(
            {
                "ancestor_concept_id": pa.array([a for a, _ in v.ancestors], type=pa.int64()),
                "descendant_concept_id": pa.array([d for _, d in v.ancestors], type=pa.int64()),
                "min_levels_of_separation": pa.array(
                    [0 if a == d else 1 for a, d in v.ancestors], type=pa.int64()
                ),
                "max_levels_of_separation": pa.array(
                    [0 if a == d else 1 for a, d in v.ancestors], type=pa.int64()
                ),
            }
        ),
    }


def generate(
    persons: int, seed: int, *, as_of: date = DEFAULT_AS_OF, chunk: int = CHUNK
) -> Iterator[dict[str, pa.Table]]:
    """Chunks of CDM tables (the vocabulary tables come with the first chunk)."""
    if persons < 1:
        raise ValueError(f"persons must be at least 1, got {persons}")
    rng = np.random.default_rng(seed)
    v = synth_vocabulary()
    ids = _Ids({})
    day = (as_of - EPOCH).days
    first = True
    for start in range(1, persons + 1, chunk):
        n = min(chunk, persons + 1 - start)
        tables = _chunk(rng, start, n, day, v, ids)
        if first:
            tables.update(vocabulary_tables(v))
            first = False
        yield tables


def write_parquet(persons: int, seed: int, out: Path, *, as_of: date = DEFAULT_AS_OF) -> Path:
    """``out/<table>.parquet`` for every table; returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for tables in generate(persons, seed, as_of=as_of):
            for name, table in tables.items():
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    return out


def write_duckdb(persons: int, seed: int, out: Path, *, as_of: date = DEFAULT_AS_OF) -> Path:
    """A DuckDB file with every table (created fresh; an existing file is refused)."""
    import duckdb

    if out.exists():
        raise FileExistsError(f"{out} exists; remove it or choose another path")
    con = duckdb.connect(str(out))
    try:
        created: set[str] = set()
        for tables in generate(persons, seed, as_of=as_of):
            for name, table in tables.items():
                con.register("chunk", table)
                if name in created:
                    con.execute(f'INSERT INTO "{name}" SELECT * FROM chunk')
                else:
                    con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM chunk')
                    created.add(name)
                con.unregister("chunk")
    finally:
        con.close()
    return out
