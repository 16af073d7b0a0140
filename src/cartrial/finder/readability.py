"""Flesch–Kincaid grade level, computed here (no dictionary download at run time).

Kincaid JP, Fishburne RP, Rogers RL, Chissom BS. *Derivation of new readability formulas
(Automated Readability Index, Fog Count and Flesch Reading Ease formula) for Navy enlisted
personnel.* Research Branch Report 8-75, Naval Technical Training Command, 1975:

    grade = 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59

Syllables are counted by the usual orthographic rule (groups of vowels less a silent final
"e", "-ed" and "-es"), at least one per word. A number counts as one word of two syllables;
abbreviations in capitals (SLE, CAR-T) count one syllable per letter, as they are read out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Readability", "count_syllables", "flesch_kincaid_grade", "readability"]

_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*|\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_VOWELS = re.compile(r"[aeiouy]+")


def count_syllables(word: str) -> int:
    """Syllables in one word (orthographic estimate, at least 1)."""
    if word[:1].isdigit():
        return 2
    if "-" in word:
        return sum(count_syllables(p) for p in word.split("-") if p)
    if len(word) > 1 and word.isupper():
        return len([c for c in word if c.isalpha()])  # read letter by letter: "S-L-E"
    w = word.casefold().strip("'’")
    w = re.sub(r"[^a-z]", "", w.replace("é", "e").replace("ö", "o").replace("ç", "c"))
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    n = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1  # silent final e: "made", "time"
    elif w.endswith("le") and len(w) > 2 and w[-3] not in "aeiouy":
        pass  # "table", "able": the "le" is its own syllable, already counted
    if w.endswith(("ed",)) and not w.endswith(("ted", "ded")) and n > 1:
        n -= 1  # "asked", "joined"
    sibilant = ("ses", "xes", "zes", "ces", "ges", "shes", "ches")
    if w.endswith("es") and not w.endswith(sibilant) and n > 1:
        n -= 1  # "makes"
    return max(1, n)


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        return flesch_kincaid_grade(self.words, self.sentences, self.syllables)


def flesch_kincaid_grade(words: int, sentences: int, syllables: int) -> float:
    """The Flesch–Kincaid grade level (Kincaid et al. 1975)."""
    if words <= 0 or sentences <= 0:
        raise ValueError("the text has no words or no sentences")
    return 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59


def readability(text: str) -> Readability:
    words = _WORD.findall(text)
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    return Readability(
        words=len(words), sentences=sentences, syllables=sum(count_syllables(w) for w in words)
    )
