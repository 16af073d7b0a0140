"""Normalization offsets, sections/cohorts/lists, and the draft protocol."""

from __future__ import annotations

import yaml

from cartrial.criteria.nodes import AllOf, AnyOf, ConditionHistory, ManualReview, Review
from cartrial.criteria.serde import dump_protocol, parse_protocol
from cartrial.domain.trial import Trial
from cartrial.ingest.parse import node_records, parse_eligibility
from cartrial.ingest.parse.draft import draft_protocol, review_shares
from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.sections import clauses, split

# --------------------------------------------------------------------------- normalize


def test_normalize_rewrites_and_maps_back() -> None:
    src = "WBC≥2.5×10⁹/L <!-- --> ALT \\<= 3 times the upper limit of normal; Hb ≥ 9 g/dL"
    n = normalize(src)
    assert "WBC>=2.5 10^9/L" in n.text
    assert "ALT <= 3 xULN" in n.text
    i = n.text.index(">=")
    assert n.original_text(i, i + 2) == "≥"
    j = n.text.index("xULN")
    assert n.original_text(j, j + 4).strip() == "times the upper limit of normal"
    k = n.text.index("Hb")
    assert n.original_text(k, len(n.text)) == "Hb ≥ 9 g/dL"
    assert n.text.count("\n") == src.count("\n")


def test_normalize_variants() -> None:
    cases = {
        "1 x 10\\^9/L": "1 10^9/L",
        "≥3×109/L": ">=3 10^9/L",
        "50 G/L": "50 10^9/L",
        "greater than or equal to 5": ">= 5",
        "no more than 2": "<= 2",
        "1.5 x ULN": "1.5 xULN",
        "3.0ULN": "3.0 xULN",
        "0.5 × LLN": "0.5 xLLN",
        "SLEDAI⁃2000": "SLEDAI-2000",
        "年龄：18岁；": "年龄:18岁;",
        "1.73 m²": "1.73 m2",
    }
    for raw, want in cases.items():
        assert normalize(raw).text == want, raw


def test_normalize_keeps_newlines_inside_comments() -> None:
    src = "a\n<!--\n-->\nb"
    assert normalize(src).text.count("\n") == 3


# --------------------------------------------------------------------------- sections


def test_headers_cohorts_and_inline_lists() -> None:
    text = (
        "Common inclusion criteria: 1. Age ≥ 18; 2. Organ function: a. WBC ≥ 3 x 10^9/L b. Hb ≥ 9 g/dL; "
        "3. Consent. Inclusion criteria for Systemic Sclerosis: 1. mRSS ≥ 15; 2. Active disease. "
        "Exclusion criteria for recurrent refractory idiopathic inflammatory myopathies: 1. Inclusion body myositis."
    )
    n = normalize(text)
    layout = split(n.text)
    assert [(h.section, h.cohort_keys) for h in layout.headers] == [
        ("inclusion", ()),
        ("inclusion", ("systemic_sclerosis",)),
        ("exclusion", ("dermatomyositis", "polymyositis", "antisynthetase_syndrome", "imnm")),
    ]
    roots = [layout.items[r] for r in layout.roots]
    assert [n.text[i.start : i.end] for i in roots[:3]] == [
        "Age >= 18;",
        "Organ function:",
        "Consent.",
    ]
    organ = roots[1]
    assert [n.text[layout.items[c].start : layout.items[c].end] for c in organ.children] == [
        "WBC >= 3 10^9/L",
        "Hb >= 9 g/dL;",
    ]
    ssc = [i for i in roots if i.cohort_keys == ("systemic_sclerosis",)]
    assert len(ssc) == 2


def test_nested_numbering_and_continuation_lines() -> None:
    text = (
        "Inclusion Criteria:\n"
        "  1. Diagnosed as refractory dermatomyositis:\n"
        "    1. At least 6 months before screening, dermatomyositis per Bohan and Peter;\n"
        "    2. No response to prednisone and\n"
        "       methotrexate.\n"
        "  2. Rheumatoid arthritis\n"
        "    1. Meets the 2010 ACR/EULAR criteria;\n"
        "  3. Age 18 to 65 years\n"
    )
    n = normalize(text)
    layout = split(n.text)
    roots = [layout.items[r] for r in layout.roots]
    assert len(roots) == 3
    assert [len(r.children) for r in roots] == [2, 1, 0]
    assert roots[0].cohort_keys == ("dermatomyositis",)
    assert roots[1].cohort_keys == ("rheumatoid_arthritis",)
    assert roots[2].cohort_keys == ()
    cont = layout.items[roots[0].children[1]]
    assert n.text[cont.start : cont.end].endswith("methotrexate.")


def test_disease_titles_start_cohorts() -> None:
    text = (
        "Inclusion Criteria\n* Age 18-65 years\n* Relapsed refractory systemic lupus erythematosus.\n"
        "* SLEDAI-2K ≥ 8\n* Refractory Immune Thrombocytopenia\n* Platelets < 30 x 10^9/L\n"
    )
    result = parse_eligibility(text)
    assert [c.cohort for c in result.criteria] == [None, "sle", "sle", "itp", "itp"]


def test_clauses_respect_parentheses() -> None:
    text = "A ≥ 1 (x; y); Bee. Then C; D. Yamaguchi et al. J. Rheum; E"
    got = [text[a:b] for a, b in clauses(text, 0, len(text))]
    assert got == ["A ≥ 1 (x; y);", "Bee.", "Then C;", "D. Yamaguchi et al. J. Rheum;", "E"]


def test_other_protocol_defined_criteria_is_not_a_header() -> None:
    text = "Inclusion Criteria:\n- Age ≥ 18\nOther protocol-defined Inclusion/Exclusion criteria apply."
    result = parse_eligibility(text)
    assert len(result.headers) == 1


# --------------------------------------------------------------------------- draft


SAMPLE = (
    "Inclusion Criteria:\n1. Aged 18-70 years\n2. SLEDAI-2K ≥ 8\n3. Hemoglobin ≥ 85 g/L\n"
    "4. Agree to follow-up visits\n\nExclusion Criteria:\n1. Live vaccine within 4 weeks before screening\n"
    "2. HIV antibody positive\n3. Any condition the investigator considers unsuitable\n"
)


def _trial() -> Trial:
    return Trial(nct_id="NCT09999999", title="A CD19 CAR-T study", eligibility_text=SAMPLE)


def test_draft_protocol_round_trips_and_is_all_auto() -> None:
    protocol, result = draft_protocol(_trial())
    assert [c.id for c in protocol.criteria.inclusion] == ["inc-1", "inc-2", "inc-3", "inc-4"]
    assert len(protocol.criteria.exclusion) == 3
    for _section, items in protocol.sections():
        for node in items:
            assert node.review is Review.AUTO
            assert node.confidence is not None
            assert node.span is not None and SAMPLE[node.span[0] : node.span[1]] == node.text
    assert isinstance(protocol.criteria.inclusion[3], ManualReview)
    back = parse_protocol(yaml.safe_load(dump_protocol(protocol)))
    assert back == protocol
    assert result.clause_count == 7


def test_review_shares() -> None:
    protocol, _ = draft_protocol(_trial())
    shares = review_shares(protocol)
    assert shares["total"] == 7 and shares["auto"] == 7
    assert shares["reviewed"] == 0 and shares["manual"] == 0
    assert shares["auto_share"] == 1.0
    assert shares["needs_judgment"] == 2
    first = protocol.criteria.inclusion[0].model_copy(update={"review": Review.REVIEWED})
    second = protocol.criteria.inclusion[1].model_copy(update={"review": None})
    edited = protocol.model_copy(
        update={
            "criteria": protocol.criteria.model_copy(
                update={"inclusion": (first, second, *protocol.criteria.inclusion[2:])}
            )
        }
    )
    shares = review_shares(edited)
    assert (shares["reviewed"], shares["auto"], shares["manual"]) == (1, 5, 1)
    assert abs(shares["reviewed_share"] - 1 / 7) < 1e-9


def test_draft_groups_disease_cohorts() -> None:
    text = (
        "Inclusion Criteria:\n* Age ≥ 18 years\n"
        "Inclusion criteria for systemic lupus erythematosus:\n* SLEDAI-2K ≥ 6\n* anti-dsDNA positive\n"
        "Inclusion criteria for systemic sclerosis:\n* mRSS ≥ 15\n"
        "Exclusion Criteria:\n* Pregnancy\n"
        "Exclusion criteria for systemic sclerosis:\n* Severe pulmonary arterial hypertension\n"
    )
    protocol, _ = draft_protocol(Trial(nct_id="NCT09999998", title="x"), eligibility_text=text)
    inc = protocol.criteria.inclusion
    assert len(inc) == 2
    cohorts = inc[1]
    assert isinstance(cohorts, AnyOf) and len(cohorts.items) == 2
    assert isinstance(cohorts.items[0], AllOf) and cohorts.items[0].note == "cohort: sle"
    exc = protocol.criteria.exclusion
    gated = exc[1]
    assert isinstance(gated, AllOf)
    assert isinstance(gated.items[0], ConditionHistory)
    assert gated.items[0].concepts == ("systemic_sclerosis",)
    assert protocol.trial.eligibility_text == text


def test_records_have_the_json_fields() -> None:
    records = node_records(parse_eligibility(SAMPLE))
    keys = {
        "id",
        "section",
        "cohort",
        "kind",
        "concept",
        "comparator",
        "value",
        "unit",
        "uln_multiple",
        "window",
        "text",
        "span",
        "confidence",
    }
    for rec in records:
        assert keys <= set(rec)
    vaccine = next(r for r in records if r["kind"] == "vaccine")
    assert vaccine["window"] == {
        "amount": 4.0,
        "unit": "weeks",
        "direction": "within",
        "reference": "screening",
    }


def test_markdown_nested_bullets_return_to_the_top_level() -> None:
    text = (
        "Inclusion Criteria:\n\n"
        "* A female of childbearing potential is a woman who:\n\n"
        "  * Has not undergone a hysterectomy; or\n"
        "  * Has had menses in the preceding 12 consecutive months\n"
        "* Absolute neutrophil count \\>= 1,500/mm^3\n"
        "* Platelets \\>= 100,000/mm^3\n"
    )
    result = parse_eligibility(text)
    assert len(result.criteria) == 3
    assert [r["concept"] for r in node_records(result) if r["kind"] == "measurement"] == [
        "anc",
        "platelets",
    ]


def test_lexicon_keys_are_vocabulary_concepts_or_flagged() -> None:
    from cartrial import vocab
    from cartrial.ingest.parse import lexicon as lx
    from cartrial.ingest.parse.recognizers.serology import SERO_GROUPS, SERO_TABLE

    labs = vocab.concept_keys("labs")
    groups = vocab.concept_keys("atc_class_groups") | vocab.concept_keys("atc_classes")
    checks = [
        (lx.CONDITIONS, vocab.concept_keys("conditions")),
        ({k: v for k, v in lx.ANALYTES.items() if k not in lx.EXPANSIONS}, labs),
        (lx.SCORES, labs),
        (lx.DRUGS, vocab.concept_keys("medications")),
        ({k: v for k, v in lx.DRUG_CLASSES.items() if k not in lx.CLASS_EXPANSIONS}, groups),
        (lx.PROCEDURES, vocab.concept_keys("procedures")),
        ({k: v for k, v in SERO_TABLE.items() if k not in SERO_GROUPS}, labs),
    ]
    for table, known in checks:
        unknown = [k for k in table if k not in known and k not in lx.NOT_IN_VOCABULARY]
        assert unknown == []
    expanded = {k for keys in SERO_GROUPS.values() for k in keys}
    expanded |= {k for keys in lx.EXPANSIONS.values() for k in keys}
    assert expanded <= labs
