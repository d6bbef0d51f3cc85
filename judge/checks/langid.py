"""Language identification for `check:language`, on lingua (n-gram models in a Rust wheel).

The detector is built on first use and cached for the process (importing this module does not
import lingua). Its models load lazily, the first time a text in their script is seen. Measured on
a 2-core AMD EPYC VM, over the 1,500 real answers of ru_llm_arena and the 500 Arena-Hard prompts in
Russian and in English (`hard_ru`/`hard_en`):

| configuration              | memory after 1,500 answers | hard_ru | hard_en | gpt-4 answers |
|----------------------------|----------------------------|---------|---------|---------------|
| `LANGUAGES`, high accuracy | +458 MB                    | 99.4 %  | 99.0 %  | 99.6 %        |
| all 75, high accuracy      | +1,226 MB                  | 99.4 %  | 97.8 %  | 99.6 %        |
| `LANGUAGES`, low accuracy  | +67 MB                     | 98.4 %  | 95.9 %  | 99.0 %        |
| all 75, low accuracy       | +146 MB                    | 98.4 %  | 91.6 %  | 99.0 %        |

The first Russian text costs 1.1 s (the Cyrillic models), the first English one 0.8 s; after that
an answer takes 0.6 ms (median; 1.9 ms at the 95th percentile). Preloading every model instead
takes 2.7 s and the same memory. Low-accuracy mode is *confidently* wrong on short text: on
30-letter snippets of the English prompts it names the wrong language 11 % of the time (high
accuracy: 2 %), nearly always with a confidence above 0.5, so no threshold can catch it. All 75
languages are less accurate on short English (Latin and Welsh distract) for three times the memory. A text in a language outside `LANGUAGES` is named
after the closest one in it, which still fails a Russian or English expectation; an item whose
`answer_lang` lingua knows but `LANGUAGES` lacks gets a detector that includes it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

LANGUAGES: tuple[str, ...] = (
    # Russian and every Cyrillic language lingua knows, so that none of them passes as Russian
    *("ru", "uk", "be", "bg", "mk", "sr", "kk", "mn"),
    # English and the Latin-script languages users ask for most (each costs about 33 MB)
    *("en", "es", "fr", "de", "it", "pt"),
    # one language per other script: told by its letters alone, with no model, except zh/ja
    *("zh", "ja", "ko", "ar", "he", "el", "hi", "ka", "hy", "th"),
)
"""ISO 639-1 codes of the languages the detector chooses among."""
TOP = 3
"""How many languages (with their confidence) a detail names."""

_lock = threading.Lock()
_detectors: dict[frozenset[str], LanguageDetector] = {}


@dataclass(frozen=True)
class Identification:
    """lingua's verdict on a text: the candidate languages with their confidence (0..1, summing to 1),
    best first, zeros left out; empty when the text has no letters lingua can use."""

    letters: int
    scores: tuple[tuple[str, float], ...]

    @property
    def lang(self) -> str | None:
        """The most likely language (ISO 639-1), or None."""
        return self.scores[0][0] if self.scores else None

    @property
    def confidence(self) -> float:
        return self.scores[0][1] if self.scores else 0.0

    def confidence_of(self, code: str) -> float:
        """The confidence of language `code` (0.0 when lingua gave it none)."""
        return next((v for c, v in self.scores if c == code), 0.0)

    def describe(self, expected: str | None = None) -> str:
        """`es 0.98, pt 0.01, en 0.00` for a verdict's detail: the best `TOP`, and `expected` too."""
        shown = [(c, v) for i, (c, v) in enumerate(self.scores) if i < TOP or c == expected]
        if expected and expected not in dict(shown):
            shown.append((expected, 0.0))
        return ", ".join(f"{c} {v:.2f}" for c, v in shown) or "no language"


def language(code: str) -> Language | None:
    """lingua's language for an ISO 639-1 or 639-3 code (`ru`, `rus`), or None if lingua lacks it."""
    from lingua import IsoCode639_1, IsoCode639_3, Language

    try:
        if len(code) == 2:
            return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
        return Language.from_iso_code_639_3(IsoCode639_3.from_str(code))
    except ValueError:
        return None


def alphabet(code: str) -> str:
    """The script family of language `code` as lingua groups them: `cyrillic`, `latin`, `arabic`,
    `devanagari`, or the code itself for a language with a script of its own (Greek, Georgian…)."""
    from lingua import Language

    lang = language(code)
    for name, members in (
        ("cyrillic", Language.all_with_cyrillic_script()),
        ("latin", Language.all_with_latin_script()),
        ("arabic", Language.all_with_arabic_script()),
        ("devanagari", Language.all_with_devanagari_script()),
    ):
        if lang in members:
            return name
    return code


def iso_639_1(code: str) -> str | None:
    """The ISO 639-1 code lingua reports for `code` (`rus` → `ru`), or None if lingua lacks it."""
    lang = language(code)
    return lang.iso_code_639_1.name.lower() if lang is not None else None


def detector(extra: str | None = None) -> LanguageDetector:
    """The process-wide detector over `LANGUAGES` (plus `extra`, an ISO 639-1 code lingua knows).

    Built once per language set, under a lock; lingua shares loaded models between detectors.
    """
    codes = frozenset(LANGUAGES) | ({extra} if extra else set())
    found = _detectors.get(codes)
    if found is not None:
        return found
    with _lock:
        if codes not in _detectors:
            from lingua import LanguageDetectorBuilder

            langs = [lang for c in sorted(codes) if (lang := language(c)) is not None]
            _detectors[codes] = LanguageDetectorBuilder.from_languages(*langs).build()
        return _detectors[codes]


def identify(text: str, expected: str | None = None) -> Identification:
    """The language of `text` (running text already extracted, see `terms.running_text`).

    `expected`, an ISO 639-1 code, is added to the candidate languages when lingua knows it.
    """
    letters = sum(map(str.isalpha, text))
    if not letters:
        return Identification(letters=0, scores=())
    values = detector(expected if expected and expected not in LANGUAGES else None).compute_language_confidence_values(
        text
    )
    scores = tuple((v.language.iso_code_639_1.name.lower(), v.value) for v in values if v.value > 0)
    return Identification(letters=letters, scores=scores)
