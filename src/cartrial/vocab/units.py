"""UCUM unit handling: spelling normalisation and dimensional conversion through pint.

Two layers, tried in this order by :func:`cartrial.vocab.convert`:

1. :func:`normalize_unit` rewrites the usual free-text spellings of a unit into UCUM
   (``×10^9/L``, ``x10^9/L``, ``10^9/L``, ``10⁹/L`` -> ``10*9/L``; ``µmol/l`` -> ``umol/L``;
   ``mg/dl`` -> ``mg/dL``; ``IU/L`` -> ``[IU]/L``; ``mmHg`` -> ``mm[Hg]``; ``°C`` -> ``Cel``;
   ``mL/min/1.73m²`` -> ``mL/min/{1.73_m2}`` ...). Two units are "the same" when their
   normalised spellings are equal.
2. :func:`to_pint` parses a normalised UCUM string into a pint quantity, with the UCUM atoms pint
   does not know registered on a private registry (``[IU]``, ``[HPF]``, ``10*9`` factors ...).
   UCUM annotations (``{score}``, ``{titer}``, ``{1.73_m2}``) are dimensionless but significant:
   two units convert only if they carry the same annotations.

Between the two, :func:`exact_factor` computes the factor of the common units (metric prefixes
on g, L, m, s, mol, U, [IU]; min, h, d, wk; [lb_av], [oz_av], [in_i], [ft_i]; ``10*n``) from
their exact definitions, in rational arithmetic, so the factor is the correctly rounded float
(``[lb_av]`` -> kg is exactly 0.45359237, ``10*3/mm3`` -> ``10*9/L`` exactly 1). pint (and numpy
under it) is imported, and its registry built, only for a pair this table cannot settle; each
pair's factor is computed once and cached (:func:`unit_factor`). This module is the one place
units are converted: the FHIR readers' dose units and the calculators' accepted input units ask
it too.

Anything that cannot be parsed raises :class:`UnitParseError`; the caller turns it into an
``UnknownUnitError`` naming the concept. Nothing is guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "ParsedUnit",
    "exact_factor",
    "UnitParseError",
    "convert_units",
    "normalize_unit",
    "to_pint",
    "unit_factor",
]


class UnitParseError(ValueError):
    """The unit string is not a UCUM unit this module can interpret."""


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

# whole-unit aliases (after basic cleanup), compared case-sensitively first, then casefolded
_WHOLE_ALIASES: dict[str, str] = {
    "°C": "Cel",
    "degC": "Cel",
    "C": "Cel",
    "°F": "[degF]",
    "degF": "[degF]",
    "F": "[degF]",
    "bpm": "/min",
    "beats/min": "/min",
    "breaths/min": "/min",
    "sec": "s",
    "msec": "ms",
    "mm/hr": "mm/h",
    "mm/hour": "mm/h",
    "mm/1h": "mm/h",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "in": "[in_i]",
    "inch": "[in_i]",
    "ratio": "1",
    "fraction": "1",
}

# token-level case fixes: UCUM accepts l and L for litre; we write L
_LITRE_TOKENS = {"l": "L", "dl": "dL", "ml": "mL", "ul": "uL", "nl": "nL", "fl": "fL", "cl": "cL"}


@functools.lru_cache(maxsize=4096)
def normalize_unit(unit: str | None) -> str:
    """Rewrite common spellings of a unit into UCUM. Returns '' for a missing unit."""
    if unit is None:
        return ""
    u = unit.strip().replace("µ", "u").replace("μ", "u")
    # superscript powers of ten: 10⁹ -> 10^9 ; m² -> m2
    u = re.sub(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", lambda m: "10^" + m.group(1).translate(_SUPERSCRIPTS), u)
    u = u.translate(_SUPERSCRIPTS)
    u = re.sub(r"\s+", "", u)
    if u in _WHOLE_ALIASES:
        return _WHOLE_ALIASES[u]
    # x10^9/L, ×10^9/L, *10^9/L, 10^9/L, 10E9/L -> 10*9/L
    u = re.sub(r"(?:^|(?<=[/(.]))[x×X*]?10(?:\^|[eE](?=\d))(\d+)", r"10*\1", u)
    # K/uL (thousands) -> 10*3/uL
    u = re.sub(r"^K/", "10*3/", u)
    # cells/uL -> /uL
    u = re.sub(r"(?i)^cells?(?=/)", "", u)
    # eGFR per 1.73 m2 spellings
    u = re.sub(r"/1\.73_?m\^?2$", "/{1.73_m2}", u)
    u = re.sub(r"/\(1\.73_?m\^?2\)$", "/{1.73_m2}", u)
    # IU without brackets (optionally prefixed): IU/L, mIU/mL, kIU/L
    u = re.sub(r"(?<![\[A-Za-z])([munkMG]?)(?i:iu)(?![\]A-Za-z])", r"\1[IU]", u)
    u = re.sub(r"(?i)mmhg", "mm[Hg]", u)
    u = re.sub(r"(?i)/hpf$", "/[HPF]", u)
    u = re.sub(r"(?i)/lpf$", "/[LPF]", u)
    u = re.sub(r"/hr$", "/h", u)
    # token-level litre and enzyme-unit case fixes
    parts = re.split(r"([/.()])", u)
    fixed = []
    for p in parts:
        low = p.lower()
        if low in _LITRE_TOKENS:
            fixed.append(_LITRE_TOKENS[low])
        elif low == "mcg":  # the pharmacy spelling of microgram
            fixed.append("ug")
        elif p == "u":
            fixed.append("U")
        elif low in {"mg", "ug", "ng", "pg", "g", "kg", "mmol", "umol", "nmol", "pmol", "mol"}:
            fixed.append(low)
        else:
            fixed.append(p)
    u = "".join(fixed)
    if u in _WHOLE_ALIASES:
        return _WHOLE_ALIASES[u]
    return u


# UCUM atom -> pint expression
_ATOMS: dict[str, str] = {
    "g": "g",
    "L": "L",
    "l": "L",
    "m": "m",
    "s": "s",
    "min": "min",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
    "mol": "mol",
    "kat": "kat",
    "U": "U",
    "[IU]": "IU",
    "[iU]": "IU",
    "%": "percent",
    "Cel": "degC",
    "[degF]": "degF",
    "K": "K",
    "mm[Hg]": "mmHg",
    "cm[H2O]": "cmH2O",
    "[lb_av]": "lb",
    "[oz_av]": "oz",
    "[in_i]": "inch",
    "[ft_i]": "foot",
    "[HPF]": "hpf",
    "[LPF]": "lpf",
    "Pa": "Pa",
    "bar": "bar",
    "eq": "eq",
}
# UCUM prefixes that may precede a (metric) atom
_PREFIXES = (
    "da",
    "Y",
    "Z",
    "E",
    "P",
    "T",
    "G",
    "M",
    "k",
    "h",
    "d",
    "c",
    "m",
    "u",
    "n",
    "p",
    "f",
    "a",
)
_METRIC = {"g", "L", "l", "m", "s", "mol", "kat", "U", "[IU]", "[iU]", "Pa", "bar", "eq"}


@functools.cache
def registry() -> Any:
    """A private pint registry with the UCUM atoms pint lacks (built on first use)."""
    import pint  # deferred: importing pint (and numpy) costs ~0.3 s

    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=False)
    ureg.define("international_unit = [arbitrary_international_unit] = IU")
    ureg.define("high_power_field = [microscope_field] = hpf")
    ureg.define("low_power_field = 0.1 * high_power_field = lpf")
    ureg.define("equivalent = [equivalent] = eq")
    return ureg


@dataclass(frozen=True)
class ParsedUnit:
    """A UCUM unit as a pint quantity (magnitude carries ``10*n`` factors) plus annotations."""

    quantity: Any
    annotations: frozenset[str]


_TOKEN = re.compile(r"\{[^}]*\}|[/.()]|[^/.(){}]+")


def _resolve(atom: str) -> str | None:
    base = _ATOMS.get(atom)
    if base is not None:
        return base
    for p in _PREFIXES:
        rest = atom[len(p) :]
        if atom.startswith(p) and rest in _METRIC:
            return p + _ATOMS[rest]
    return None


def _atom_to_pint(atom: str) -> str:
    if re.fullmatch(r"\d+", atom):
        return atom
    m = re.fullmatch(r"10[*^](-?\d+)", atom)
    if m:
        return f"1e{m.group(1)}"
    base = _resolve(atom)
    if base is not None:
        return base
    m = re.fullmatch(r"(.*?[A-Za-z\]])(-?\d+)", atom)
    if m:
        base = _resolve(m.group(1))
        if base is not None:
            return f"({base})**{m.group(2)}"
    raise UnitParseError(f"unknown UCUM atom {atom!r}")


def to_pint(unit: str) -> ParsedUnit:
    """Parse a (normalised) UCUM unit string into a pint quantity."""
    ureg = registry()
    u = normalize_unit(unit)
    if u in ("", "1"):
        return ParsedUnit(ureg.Quantity(1, ""), frozenset())
    annotations: set[str] = set()
    out: list[str] = []
    prev_operand = False
    for tok in _TOKEN.findall(u):
        if tok.startswith("{"):
            annotations.add(tok[1:-1].casefold())
            piece = "1"
        elif tok == "/":
            out.append("/")
            prev_operand = False
            continue
        elif tok == ".":
            out.append("*")
            prev_operand = False
            continue
        elif tok == "(":
            if prev_operand:
                out.append("*")
            out.append("(")
            prev_operand = False
            continue
        elif tok == ")":
            out.append(")")
            prev_operand = True
            continue
        else:
            piece = _atom_to_pint(tok)
        if prev_operand:
            out.append("*")
        out.append(piece)
        prev_operand = True
    expr = "".join(out)
    if expr.startswith("/"):
        expr = "1" + expr
    try:
        q = ureg.parse_expression(expr)
    except Exception as exc:  # pint raises several error types
        raise UnitParseError(f"cannot parse {unit!r}: {exc}") from exc
    if not isinstance(q, ureg.Quantity):
        q = ureg.Quantity(q, "")
    return ParsedUnit(q, frozenset(annotations))


# ---------------------------------------------------------------------------------------------
# exact factors of the common units (no pint)

# UCUM atom -> (exact size, dimension); sizes in g, m, s, mol, U, [IU]
_EXACT_ATOMS: dict[str, tuple[Fraction, tuple[tuple[str, int], ...]]] = {
    "g": (Fraction(1), (("g", 1),)),
    "m": (Fraction(1), (("m", 1),)),
    "L": (Fraction(1, 1000), (("m", 3),)),
    "s": (Fraction(1), (("s", 1),)),
    "min": (Fraction(60), (("s", 1),)),
    "h": (Fraction(3600), (("s", 1),)),
    "d": (Fraction(86400), (("s", 1),)),
    "wk": (Fraction(604800), (("s", 1),)),
    "mol": (Fraction(1), (("mol", 1),)),
    "U": (Fraction(1), (("U", 1),)),
    "[IU]": (Fraction(1), (("[IU]", 1),)),
    "[lb_av]": (Fraction("453.59237"), (("g", 1),)),
    "[oz_av]": (Fraction("28.349523125"), (("g", 1),)),
    "[in_i]": (Fraction("0.0254"), (("m", 1),)),
    "[ft_i]": (Fraction("0.3048"), (("m", 1),)),
}
_EXACT_METRIC = frozenset({"g", "m", "L", "s", "mol", "U", "[IU]"})
_PREFIX_EXP = {
    "da": 1, "Y": 24, "Z": 21, "E": 18, "P": 15, "T": 12, "G": 9, "M": 6, "k": 3, "h": 2,
    "d": -1, "c": -2, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15, "a": -18,
}  # fmt: skip
_POWER = re.compile(r"(.*?[A-Za-z\]])(-?\d+)")
_TEN_POWER = re.compile(r"10[*^](-?\d+)")

_Exact = tuple[Fraction, frozenset[tuple[str, int]], frozenset[str]]


def _exact_atom(atom: str) -> tuple[Fraction, tuple[tuple[str, int], ...]] | None:
    if atom.isdigit():
        return Fraction(int(atom)), ()
    m = _TEN_POWER.fullmatch(atom)
    if m:
        return Fraction(10) ** int(m.group(1)), ()
    found = _EXACT_ATOMS.get(atom)
    if found is not None:
        return found
    for prefix, exp in _PREFIX_EXP.items():
        rest = atom[len(prefix) :]
        if atom.startswith(prefix) and rest in _EXACT_METRIC:
            size, dims = _EXACT_ATOMS[rest]
            return size * Fraction(10) ** exp, dims
    m = _POWER.fullmatch(atom)
    if m:
        base = _exact_atom(m.group(1))
        if base is not None:
            power = int(m.group(2))
            return base[0] ** power, tuple((d, e * power) for d, e in base[1])
    return None


@functools.lru_cache(maxsize=1024)
def _exact(unit: str) -> _Exact | None:
    """(exact size, dimension, annotations) of a normalised unit, or None if it is not made of
    the atoms above by ``.`` and ``/`` alone (no parentheses)."""
    if unit in ("", "1"):
        return Fraction(1), frozenset(), frozenset()
    size = Fraction(1)
    dims: dict[str, int] = {}
    notes: set[str] = set()
    sign = 1
    for tok in _TOKEN.findall(unit):
        if tok in ("(", ")"):
            return None
        if tok in ("/", "."):
            sign = -1 if tok == "/" else 1
            continue
        if tok.startswith("{"):
            notes.add(tok[1:-1].casefold())
            continue
        atom = _exact_atom(tok)
        if atom is None:
            return None
        size *= atom[0] ** sign
        for dim, exp in atom[1]:
            dims[dim] = dims.get(dim, 0) + sign * exp
    return size, frozenset((d, e) for d, e in dims.items() if e), frozenset(notes)


def exact_factor(src: str, dst: str) -> float | None:
    """The factor from ``src`` to ``dst`` when both are common units of the same dimension and
    annotations (never through pint); None when this table cannot say (then ask
    :func:`unit_factor`, which may)."""
    s = _exact(normalize_unit(src))
    d = _exact(normalize_unit(dst))
    if s is None or d is None or s[1:] != d[1:]:
        return None
    return float(s[0] / d[0])


def convert_units(value: float, src: str, dst: str) -> float:
    """Convert ``value`` from ``src`` to ``dst`` dimensionally; raise UnitParseError if impossible."""
    factor = unit_factor(src, dst)
    if factor is not None:
        return value * factor
    # an offset scale (Cel, [degF]): not a factor, converted point by point
    ureg = registry()
    s, d = _parsed_pair(src, dst)
    try:
        q = ureg.Quantity(value, s.quantity.units).to(d.quantity.units)
    except _dimensionality_error() as exc:
        raise UnitParseError(f"{src!r} is not convertible to {dst!r} ({exc})") from exc
    return float(q.magnitude)


@functools.lru_cache(maxsize=1024)
def unit_factor(src: str, dst: str) -> float | None:
    """The factor taking a value in ``src`` to ``dst`` (cached per unit pair); None for offset
    scales (temperatures), which :func:`convert_units` converts point by point.

    Raises UnitParseError when either unit is unknown or the two are not commensurable.
    """
    exact = exact_factor(src, dst)
    if exact is not None:
        return exact
    s, d = _parsed_pair(src, dst)
    if _is_offset(s.quantity) or _is_offset(d.quantity):
        return None
    try:
        return float(s.quantity.to(d.quantity.units).magnitude) / float(d.quantity.magnitude)
    except _dimensionality_error() as exc:
        raise UnitParseError(f"{src!r} is not convertible to {dst!r} ({exc})") from exc


def _parsed_pair(src: str, dst: str) -> tuple[ParsedUnit, ParsedUnit]:
    s = to_pint(src)
    d = to_pint(dst)
    if s.annotations != d.annotations:
        raise UnitParseError(
            f"{src!r} and {dst!r} carry different annotations "
            f"({sorted(s.annotations)} vs {sorted(d.annotations)})"
        )
    return s, d


def _dimensionality_error() -> type[Exception]:
    """pint's DimensionalityError (pint is imported lazily, so not named at module level)."""
    import pint

    error: type[Exception] = pint.DimensionalityError
    return error


def _is_offset(q: Any) -> bool:
    return any(str(name) in {"degree_Celsius", "degree_Fahrenheit"} for name in q.units._units)
