"""Code -> concept lookup: exact codes, ICD-10 families and children, SNOMED CT descendants, ATC classes."""

from __future__ import annotations

from collections.abc import Iterable

from cartrial.vocab import hierarchy
from cartrial.vocab.records import ConceptRef
from cartrial.vocab.store import _atc_class_prefixes, _exact_index, _icd_prefixes
from cartrial.vocab.systems import _ICD_SYSTEMS, ATC, SNOMED, _code_key, canonical_system

# ---------------------------------------------------------------------------------------------
# code lookup


def lookup_codes(
    system: str | None, code: str | None, *, groups: Iterable[str] | None = None
) -> tuple[ConceptRef, ...]:
    """Every concept a code belongs to, best first.

    Exact matches come first (in data-file order); then, for ICD-10(-CM), the condition families
    matched by ``icd_prefix_match`` (longest prefix first) and the concepts of a listed code this
    code extends (``icd_descendant``); for SNOMED CT with no exact condition match, the concepts
    of a listed ancestor (``snomed_descendant``, :mod:`cartrial.vocab.hierarchy`); for ATC with
    no exact drug match, the
    ``atc_classes`` whose code is a prefix of the code (longest first). ``groups`` restricts the
    result to some groups.
    """
    if not system or not code:
        return ()
    sys_uri = canonical_system(system)
    if sys_uri is None:
        return ()
    wanted = set(groups) if groups is not None else None
    ck = _code_key(sys_uri, code)
    found: list[ConceptRef] = list(_exact_index().get((sys_uri, ck), ()))
    if sys_uri in _ICD_SYSTEMS:
        for p_sys, prefix, ref in _icd_prefixes():
            if p_sys == sys_uri and ck.startswith(prefix) and ref not in found:
                found.append(ref)
    if sys_uri in _ICD_SYSTEMS:
        # a child of a listed code (M05.79 under M05.7): ICD-10(-CM) is a prefix hierarchy
        for n in range(len(ck) - 1, 2, -1):
            for ref in _exact_index().get((sys_uri, ck[:n]), ()):
                child = ConceptRef(ref.group, ref.key, "icd_descendant")
                if child not in found:
                    found.append(child)
    if sys_uri == SNOMED and not any(r.group == "conditions" for r in found):
        for key in hierarchy.snomed_ancestors(ck):
            ref = ConceptRef("conditions", key, "snomed_descendant")
            if ref not in found:
                found.append(ref)
    if sys_uri == ATC and not any(r.group == "medications" for r in found):
        for class_code, key in _atc_class_prefixes():
            ref = ConceptRef("atc_classes", key, "atc_prefix")
            if ck.startswith(class_code) and ref not in found:
                found.append(ref)
    if wanted is not None:
        found = [r for r in found if r.group in wanted]
    return tuple(found)


def lookup_code(
    system: str | None, code: str | None, *, groups: Iterable[str] | None = None
) -> ConceptRef | None:
    """The best concept for a code (see :func:`lookup_codes`), or None when unknown.

    Accepts the usual system spellings (``http://loinc.org``, ``urn:oid:2.16.840.1.113883.6.1``,
    ``LOINC`` ...). A drug coded only by ATC (``H02AB06``) resolves to the drug if listed, else to
    the most specific ``atc_classes`` entry (``glucocorticoids_systemic``).
    """
    refs = lookup_codes(system, code, groups=groups)
    return refs[0] if refs else None
