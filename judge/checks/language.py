"""`check:language`: is the answer written in the language it should be, and is its script clean?

Three criteria, each over the *prose* of the answer (`text.prose`: code blocks, inline code, math,
URLs, e-mail addresses, tags and LaTeX commands removed) less the lines that look like code
(`terms.drop_code_lines`: models paste unfenced code, logs and JSON).

- `language_match`: lingua names the language of the running text (`terms.running_text`: also
  without title lines, short quoted mentions, identifiers, acronyms and single Latin letters), see
  `langid`. The expected language is the item's `answer_lang`, else its `lang`. The row passes when
  the most likely language is the expected one; fails when another one is and the expected one is
  all but excluded (see the constants); and is not scored (passed None, with the reason) when the
  text is too short or the call is close. The detail names the detected language (ISO 639-1),
  lingua's confidences and the scripts of the letters.
- `mixed_script_words`: words whose letters come from two scripts (Latin, Cyrillic, Greek, …),
  with the intruding letters named, e.g. `'тοчка' (Greek ο)`; see `scripts`.
- `latin_share` (answers expected in Russian only): ordinary Latin-script words / all words. Latin
  *terms* do not count: identifiers, acronyms, names (Capitalised or CamelCase), single letters,
  glosses in parentheses and words of the prompt, see `terms.latin_words`. It passes below
  `LATIN_SHARE_MAX`: about one ordinary word in seven.

The thresholds were set on snippets of the 500 Arena-Hard prompts in Russian and in English
(the ru_llm_arena data set; see tests/checks/test_language_real.py), cut to k letters of running text: at 20 letters 0.4 % of the
Russian snippets and none of the English ones fail against their own language (10 % and 6 % are
not scored), while 98 % of the English snippets fail against Russian; at 40 letters the figures
are 0.2 %, 0 %, 1 % and 6 % not scored, and 99.6 %.
"""

from __future__ import annotations

from judge.checks import langid, scripts
from judge.checks.registry import CheckFn, CheckRow, check
from judge.checks.terms import drop_code_lines, latin_words, running_text
from judge.checks.text import prose, shorten, strip_think
from judge.dataset import Item

MIXED_TAG = "mixed-language"
"""An item tag: the task itself asks for passages in another language (English equivalents of Russian
idioms, say), so the share of Latin-script words says nothing about the answer's language."""
MIN_LETTERS = 20
"""Fewer letters of running text than this: too short to tell (`passed` None). On 10 letters of a
Russian prompt lingua's best guess is wrong one time in five, on 15 one time in nine."""
MAX_EXPECTED_CONFIDENCE = 0.05
"""A mismatch fails only when lingua gives the expected language less than this confidence; above
it the call is close and the row is not scored."""
MIN_NEIGHBOUR_CONFIDENCE = 0.7
"""A language in the expected language's own script (Ukrainian or Bulgarian for Russian, Spanish
for English) fails the answer only with at least this confidence: such neighbours share most
n-grams, and on short or odd text lingua spreads its confidence among them (a list of made-up
Cyrillic words came out `be 0.69, sr 0.16, uk 0.05, ru 0.02`). A language in another script needs
no such margin, and must not: on 30 letters lingua gives English 0.7 only half the time (the
Latin-script languages share its n-grams too), yet Russian is out of the question."""
LATIN_SHARE_MAX = 0.15
"""A Russian answer passes `latin_share` when its share of ordinary Latin-script words is below this."""
MAX_EXAMPLES = 5
"""How many words the details quote."""


def _visible(text: str) -> str:
    """The text the criteria read: prose without code-like lines."""
    return drop_code_lines(prose(text))


def expected_language(item: Item) -> str:
    """The language the answer should be in: `answer_lang`, else the prompt's (ISO 639-1 if lingua
    knows the code, e.g. `rus` → `ru`)."""
    code = item.answer_lang or item.lang
    return langid.iso_639_1(code) or code


def detect_language(text: str, expected: str | None = None) -> langid.Identification:
    """lingua's verdict on the running text of answer `text` (see the module docstring)."""
    return langid.identify(running_text(_visible(text)), expected)


def language_match(expected: str, answer_text: str, min_letters: int = MIN_LETTERS) -> CheckRow:
    """The `language_match` row of `check:language` for `answer_text` against `expected` (ISO 639-1):
    passed True, False (another language, certain) or None (too short or too close to tell)."""
    return _language_match(expected, answer_text or "", _visible(answer_text or ""), min_letters)


def prose_words(text: str) -> int:
    """How many words with letters the prose of `text` has (code, math, URLs and bare numbers left out)."""
    return sum(1 for w in scripts.words(_visible(text)) if any(c.isalpha() for c in w))


def mixed_script_words(text: str) -> list[str]:
    """Words of the prose of `text` that mix scripts (`тοчка`, `Hеllo`), in order, repeats kept."""
    return scripts.mixed_words(_visible(text))


def latin_share(text: str, prompt: str = "") -> float:
    """Share of ordinary Latin-script words among the words of the prose of `text` (0.0 when none),
    not counting Latin terms (see `terms.latin_words`; `prompt` supplies the words it may reuse)."""
    sorted_words = latin_words(_visible(text), prompt)
    return len(sorted_words.latin) / sorted_words.words if sorted_words.words else 0.0


@check("language")
def language(
    min_letters: int = MIN_LETTERS,
    latin_share_max: float = LATIN_SHARE_MAX,
    max_examples: int = MAX_EXAMPLES,
) -> CheckFn:
    """Criteria `language_match`, `mixed_script_words` and, for Russian answers, `latin_share`."""
    if not 0.0 <= latin_share_max <= 1.0:
        raise ValueError(f"latin_share_max must be between 0 and 1, got {latin_share_max}")
    if max_examples < 0:
        raise ValueError(f"max_examples must be >= 0, got {max_examples}")
    if min_letters < 1:
        raise ValueError(f"min_letters must be >= 1, got {min_letters}")

    def run(item: Item, answer_text: str) -> list[CheckRow]:
        expected = expected_language(item)
        visible = _visible(answer_text or "")
        rows = [
            _language_match(expected, answer_text or "", visible, min_letters),
            _mixed_row(visible, max_examples),
        ]
        if expected == "ru":
            if MIXED_TAG in item.tags:
                detail = f"not measured: the task asks for passages in another language (tag {MIXED_TAG!r})"
                rows.append(CheckRow(criterion="latin_share", score=None, passed=None, detail=detail))
            else:
                rows.append(_latin_row(visible, item.prompt, latin_share_max, max_examples))
        return rows

    return run


def _language_match(expected: str, answer: str, visible: str, min_letters: int) -> CheckRow:
    def row(passed: bool | None, detail: str) -> CheckRow:
        score = None if passed is None else float(passed)
        return CheckRow(criterion="language_match", score=score, passed=passed, detail=shorten(detail, 300))

    if not strip_think(answer).strip():
        return row(False, "empty answer")
    if langid.language(expected) is None:
        return row(None, f"expected {expected}: no language model for it, the language cannot be told")
    if not any(c.isalpha() for c in visible):
        return row(None, "no letters outside code, math and URLs: the language cannot be told")
    text = running_text(visible)
    guess = langid.identify(text, expected)
    if not guess.letters:
        return row(None, "too short to tell: no running text besides names, quotes and terms")
    letters = f"{guess.letters} letters of running text, {_script_shares(text)}"
    if guess.letters < min_letters:
        return row(None, f"too short to tell: {letters} (need {min_letters})")
    if guess.lang is None:  # a script no candidate language is written in (Tamil, Amharic…)
        return row(False, f"expected {expected}, detected a language outside the candidates ({letters})")
    if guess.lang == expected:
        return row(True, f"expected {expected}, detected {expected} ({guess.describe(expected)}; {letters})")
    described = f"{guess.describe(expected)}; {letters}"
    # Another script (English for Russian) is certain once the expected language is all but out;
    # a neighbour in the same script (Belarusian for Russian) must also be a clear winner.
    excluded = guess.confidence_of(expected) < MAX_EXPECTED_CONFIDENCE
    clear = langid.alphabet(guess.lang) != langid.alphabet(expected) or guess.confidence >= MIN_NEIGHBOUR_CONFIDENCE
    if excluded and clear:
        return row(False, f"expected {expected}, detected {guess.lang} ({described})")
    return row(None, f"expected {expected}, undecidable ({described})")


def _script_shares(text: str) -> str:
    counts = scripts.script_counts(text)
    total = sum(counts.values()) or 1
    return ", ".join(f"{scripts.script_name(s)} {n / total:.2f}" for s, n in counts.most_common(2))


def _mixed_row(visible: str, max_examples: int) -> CheckRow:
    found = scripts.mixed_words(visible)
    if not found:
        detail = "no word mixes scripts"
    else:
        counts = scripts.script_counts(visible)
        home = counts.most_common(1)[0][0] if counts else None
        unique = list(dict.fromkeys(found))
        shown = ", ".join(scripts.explain(w, home) for w in unique[:max_examples])
        more = f" and {len(unique) - max_examples} more" if len(unique) > max_examples else ""
        detail = shorten(f"{len(found)} mixed-script word(s): {shown}{more}", 300)
    return CheckRow(criterion="mixed_script_words", score=float(len(found)), passed=not found, detail=detail)


def _latin_row(visible: str, prompt: str, latin_share_max: float, max_examples: int) -> CheckRow:
    sorted_words = latin_words(visible, prompt)
    n_terms = len(sorted_words.terms)
    terms = f"{n_terms} term(s) not counted, such as {', '.join(list(sorted_words.terms)[:max_examples])}"
    if not sorted_words.words:
        detail = f"only Latin terms, no word to count: {terms}" if n_terms else "no words outside code, math and URLs"
        return CheckRow(criterion="latin_share", score=None, passed=None, detail=shorten(detail, 300))
    share = len(sorted_words.latin) / sorted_words.words
    examples = ", ".join(list(dict.fromkeys(sorted_words.latin))[:max_examples])
    detail = (
        f"{len(sorted_words.latin)} of {sorted_words.words} words in Latin script ({share:.2f}, limit {latin_share_max:.2f})"
        + (f": {examples}" if examples else "")
        + (f"; {terms}" if n_terms else "")
    )
    return CheckRow(criterion="latin_share", score=share, passed=share < latin_share_max, detail=shorten(detail, 300))
