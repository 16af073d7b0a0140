"""Registry condition names fold to one key per disease; queries use the same synonyms."""

from __future__ import annotations

from cartrial.finder.conditions import by_slug, normalise, query_keys


def test_spellings_of_one_disease_are_one_key() -> None:
    for name in (
        "SLE (Systemic Lupus)",
        "Systemic Lupus Erythematosus",
        "Lupus Erythematosus, Systemic",
        "Systemic Lupus Erthematosus (SLE)",
        "Relapsed/Refractory, Systemic Lupus Erythematosus (SLE)",
    ):
        assert normalise([name]) == ("sle",), name
    assert normalise(["Lupus Nephritis - WHO Class IV"]) == ("lupus_nephritis",)
    assert normalise(["Primary Sjogren&#39;s Syndrome"]) == ("pss",)
    assert normalise(["Systemic Scleroderma"]) == normalise(["Systemic Sclerosis (SSc)"])
    assert normalise(["Idiopathic Inflammatory Myopathies(IIM)"]) == ("iim",)
    assert normalise(["Dermatomyositis, Juvenile"]) == ("iim",)


def test_catch_all_only_when_nothing_specific() -> None:
    assert normalise(["Autoimmune Diseases"]) == ("autoimmune",)
    assert normalise(["Autoimmune Diseases", "Myasthenia Gravis"]) == ("mg",)
    assert normalise(["CAR-T Cell Therapy"]) == ()


def test_queries_use_synonyms_and_families() -> None:
    assert set(query_keys("lupus")) == {"sle", "lupus_nephritis"}
    assert query_keys("SLE") == ("sle",)
    assert query_keys("scleroderma") == ("ssc",)
    assert query_keys("ssc") == ("ssc",)
    assert query_keys("myositis") == ("iim",)
    assert query_keys("IIM") == ("iim",)
    assert query_keys("rocket science") == ()
    page = by_slug("lupus-nephritis")
    assert page is not None and page.abbreviation == "LN" and page.family == "lupus"


def test_vocabulary_keys_have_display_names() -> None:
    from cartrial.finder.conditions import vocab_display

    assert vocab_display("sle") == "Systemic lupus erythematosus (SLE)"
    assert vocab_display("systemic_sclerosis") == "Systemic sclerosis (SSc)"
    assert vocab_display("dermatomyositis") == "Dermatomyositis (IIM)"
    assert vocab_display("crohns_disease") == "Crohn's disease (IBD)"
    assert vocab_display("unknown_key") == "Unknown key"
