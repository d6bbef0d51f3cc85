"""What in an answer's prose is not running text: code-like lines, names and quoted mentions, and
the Latin *terms* that Russian text carries by nature (identifiers, acronyms, product names, option
letters, words of the prompt).

`text.prose` already cuts fenced and inline code, math, URLs and tags. Real answers also paste code
with no fence (a whole Python function as plain lines, a stack trace, a JSON dump), list English
titles, and quote the words a prompt asks about; to a language identifier all of that reads as
English, and to `latin_share` as dozens of Latin words. `running_text` keeps what is left for
language identification; `latin_words` sorts the Latin words of a Russian text into terms (ignored)
and words (counted), so that `latin_share` measures drift into English, not vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------------
# Code-like lines

# A line that starts like a statement of a common language. Case-sensitive on purpose: "For",
# "Return" or "Import" opening an English sentence must not read as code; SQL is upper case.
_CODE_START = re.compile(
    r"""^(?:
        (?:def|class|async\s+def)\s+\w+.*[:(]
      | (?:import|package)\s+[\w.]+
      | from\s+[\w.]+\s+import\b
      | (?:return|yield|raise|await|throw)\b(?:\s*$|\s*[\w.(\[{'"-])
      | (?:elif|while|for|if|with|except|catch)\b.*:\s*(?:\#.*)?$
      | (?:else|try|finally)\s*:
      | (?:if|for|while|switch)\s*\(.*\)\s*\{?\s*$
      | (?:}\s*)?else\b\s*\{
      | (?:const|let|var|val|fn|func|function|public|private|protected|static|void|int|using|namespace)
        \s+[\w$<>\[\]]+.*[=({;:]
      | \#include\b | \#define\b | \#!/
      | (?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\s+[\w*("`]
      | (?:FROM|WHERE|JOIN|GROUP\s+BY|ORDER\s+BY|VALUES|LIMIT)\s+[\w(`'"]
      | (?:\$|>>>)\s+[a-z]
      | @\w+(?:\(.*\))?\s*$
      | (?:pip|npm|git|docker|sudo|cd|ls|mkdir|python3?|curl|wget|apt(?:-get)?|brew|conda)\s+-{0,2}[\w./=@:-]
      | print\s*\(
    )""",
    re.VERBOSE,
)
# The whole line is a call, or an assignment to an identifier (`x = f(y)`, `a, b = b, a`).
_CALL_LINE = re.compile(r"^[A-Za-z_$][\w$.]*(?:\[[^\]]*\])*\(.*\)\s*;?\s*(?:(?:#|//).*)?$")
_ASSIGNMENT = re.compile(
    r"^[A-Za-z_$][\w$.]*(?:\[[^\]]*\])*(?:\s*,\s*[A-Za-z_$][\w$.]*)*\s*(?:[-+*/%&|^:]|\*\*|//)?=(?!=)\s*\S"
)
# Block punctuation that prose lines do not end with; `):` closes a Python header.
_CODE_END = re.compile(r"(?:[;{]|\)\s*:|=>|->)\s*$|^[})\]]+[;,)]*\s*$")
# JSON and the like, whatever the script of its strings: `{"name": "Иван"}`, `"age": 30,`, `[[1, 2], [3, 4]]`.
_DATA_LINE = re.compile(
    r"""^(?:[{\[]\s*["'\[{\d].*[}\],]|"[^"\n]{1,60}"\s*:\s*(?:"[^"\n]*"|[-\d.eE+]+|true|false|null|[{\[])\s*[,{\[]?)$"""
)
_CODE_SYMBOLS = frozenset("{}[]()<>=;:\"'\\/|&$#@^~*+%`")
_LIST_MARK = re.compile(r"^(?:[-*+>]\s+|\d+[.)]\s+|#{1,6}\s+)")
_LONG_WORD = re.compile(r"[^\W\d_]{2,}")
_COMMENT = re.compile(r"\s(?:#|//)\s")


def is_code_line(line: str) -> bool:
    """True for a line that looks like source code, a shell command or data rather than prose.

    Rules a line of prose does not meet: it opens like a statement (`def f(x):`, `import os`,
    `for i in range(3):`, `SELECT * FROM t`, `$ pip install x`); it is a single call or assignment
    (`x = compute(y)`); it is data (`{"name": "Иван"}`, `"age": 30,`); it ends with block
    punctuation (`;`, `{`, `):`); or a quarter of its characters are code symbols (build logs).
    Prose in another script can end the same way (a Greek question mark is `;`) or hold `x = 5`,
    so the last three rules apply only when no word before a comment has a non-ASCII letter.
    """
    s = _LIST_MARK.sub("", line.strip(), count=1)
    if not s:
        return False
    if _CODE_START.match(s) or _DATA_LINE.match(s):
        return True
    code = _COMMENT.split(s, maxsplit=1)[0]
    if any(not w.isascii() for w in _LONG_WORD.findall(code)):
        return False
    if _CALL_LINE.match(s) or _ASSIGNMENT.match(s) or _CODE_END.search(code):
        return True
    chars = code.replace(" ", "")
    return len(chars) >= 8 and sum(c in _CODE_SYMBOLS for c in chars) >= 0.25 * len(chars)


def drop_code_lines(text: str) -> str:
    """`text` without the lines that look like code (see `is_code_line`)."""
    return "\n".join(line for line in text.splitlines() if not is_code_line(line))


# ------------------------------------------------------------------------------------------------
# Words and terms

# A token is what lies between spaces, less the punctuation around it.
_EDGE_PUNCT = "\"'«»„“”‚‘’`()[]{}<>.,;:!?…—–-*_~|/\\"
_LETTERS = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
_IDENTIFIER = re.compile(r"[\d_@#$=/\\<>{}\[\]]|[^\W\d_]\.[^\W\d_]|\(\)|::")
_CAMEL = re.compile(r"[a-z][A-Z]")  # PyTorch, iPhone, macOS
_NAME = re.compile(r"^[A-Z]|[a-z][A-Z]")  # Linux, Kanye West, and CamelCase
_ACRONYM = re.compile(r"^[A-Z]{2,}s?$")  # API, GPU, JSON, and their plurals APIs, GPUs


def is_latin(ch: str) -> bool:
    """A Latin letter (basic, Latin-1, Extended-A/B, Extended Additional, full-width)."""
    return (
        ("a" <= ch <= "z")
        or ("A" <= ch <= "Z")
        or ("\u00c0" <= ch <= "\u024f" and ch not in "\u00d7\u00f7")
        or "\u1e00" <= ch <= "\u1eff"
        or "\uff21" <= ch <= "\uff5a"
    )


def tokens(text: str) -> Iterator[str]:
    """The tokens of `text` that hold a letter, without the punctuation around them."""
    for raw in text.split():
        token = raw.strip(_EDGE_PUNCT)
        if any(c.isalpha() for c in token):
            yield token


def term_kind(token: str, prompt_words: frozenset[str] = frozenset()) -> str | None:
    """Why the Latin-script `token` is a term that Russian text carries normally, or None for an
    ordinary Latin word: `identifier`, `letter`, `acronym`, `name` or `prompt`.

    A `name` is Capitalised or CamelCase (Linux, Kanye West, PyTorch, iPhone): in Russian prose a
    Latin word with a capital is a proper name or a title nearly always (on 1,500 real answers,
    lists of games, distributions and bands were most of what `latin_share` flagged otherwise),
    while drifting into English shows in the lower-case words (`the`, `of`, `properties`).
    """
    letters = "".join(_LETTERS.findall(token))
    if _IDENTIFIER.search(token):
        return "identifier"  # snake_case, dotted.names, words with digits (GPT4, H2O, v1.2)
    if len(letters) <= 1:
        return "letter"  # variables and option letters: x, A), (b)
    if _ACRONYM.match(letters):
        return "acronym"  # also Roman numerals (XIX)
    if _NAME.search(letters):
        return "name"
    if prompt_words and (token.casefold() in prompt_words or letters.casefold() in prompt_words):
        return "prompt"
    return None


def prompt_vocabulary(prompt: str) -> frozenset[str]:
    """The casefolded tokens and letter runs of the prompt: Latin words a prompt uses (a product, a
    word to spell, a term to explain) may come back in the answer."""
    return frozenset(t.casefold() for t in tokens(prompt)) | frozenset(w.casefold() for w in _LETTERS.findall(prompt))


@dataclass
class LatinWords:
    """The words of a text sorted for `latin_share`: `words` counts every word that counts, `latin`
    lists the ordinary Latin words among them, `terms` the Latin terms left out (with why)."""

    words: int = 0
    latin: list[str] = field(default_factory=list)
    terms: dict[str, str] = field(default_factory=dict)


# Cited Latin: a gloss in parentheses, as in «Любляна (Ljubljana)» or «(англ. machine learning)», and
# a quotation, as in «его фраза "Lamp oil? Rope? Bombs?"» or a song title in quotes.
_PARENS = re.compile(r"\(([^()\n]{1,200})\)")
_QUOTATION = re.compile(
    r"«([^«»\n]{1,300})»|„([^„“”\n]{1,300})[“”]|“([^“”\n]{1,300})”|(?<!\w)\"([^\"\n]{1,300})\"(?!\w)"
)
MAX_GLOSS_WORDS = 6
"""Latin words in parentheses of at most this many words are a gloss (a longer aside is prose)."""


def _cut_citations(text: str, out: LatinWords) -> str:
    """`text` with glosses and all-Latin quotations blanked out, their words recorded as terms."""

    def gloss(m: re.Match[str]) -> str:
        inner = list(tokens(m.group(1)))
        if len(inner) > MAX_GLOSS_WORDS:
            return m.group()
        latin = [t for t in inner if all(is_latin(c) for c in t if c.isalpha())]
        for t in latin:
            out.terms.setdefault(t, "gloss")
        return "(" + " ".join(t for t in inner if t not in latin) + ")"

    def quotation(m: re.Match[str]) -> str:
        inner = list(tokens(next(g for g in m.groups() if g is not None)))
        if not all(is_latin(c) for t in inner for c in t if c.isalpha()):
            return m.group()
        for t in inner:
            out.terms.setdefault(t, "quote")
        return " "

    return _QUOTATION.sub(quotation, _PARENS.sub(gloss, text))


def latin_words(text: str, prompt: str = "") -> LatinWords:
    """Sort the words of prose `text` (code already removed) for `latin_share`, see `term_kind`.
    Latin glosses in parentheses (`gloss`) and quotations wholly in Latin script (`quote`: a title,
    a line cited in the original) do not count either: they cite, they do not drift."""
    vocab = prompt_vocabulary(prompt) if prompt else frozenset()
    out = LatinWords()
    for token in tokens(_cut_citations(text, out)):
        if not all(is_latin(c) for c in token if c.isalpha()):
            out.words += 1  # Cyrillic, mixed (IT-компания) or another script: not a Latin word
            continue
        kind = term_kind(token, vocab)
        if kind is None:
            out.words += 1
            out.latin.append(token)
        else:
            out.terms.setdefault(token, kind)
    return out


# ------------------------------------------------------------------------------------------------
# Running text for language identification

# A short quoted span is a mention (a title, a word asked about, a letter), not the answer's voice.
_QUOTED = re.compile(
    r"«[^«»\n]{1,60}»|„[^„“”\n]{1,60}[“”]|“[^“”\n]{1,60}”|(?<!\w)\"[^\"\n]{1,60}\"(?!\w)|(?<!\w)'[^'\n]{1,60}'(?!\w)"
)
MAX_MENTION_WORDS = 4
"""A quoted span of at most this many words is a mention and is left out of language identification."""
MAX_TITLE_WORDS = 8
"""A line of at most this many words, most of them Capitalised, is a title or a name."""


def _drop_mentions(line: str) -> str:
    return _QUOTED.sub(lambda m: " " if len(m.group().split()) <= MAX_MENTION_WORDS else m.group(), line)


def _is_title_line(line: str) -> bool:
    """`3. Oxygen Not Included`, `## Getting Started`: a short line of mostly Capitalised words
    that does not end like a sentence (`Москва — столица России.` is a sentence, and stays)."""
    line = _LIST_MARK.sub("", line.strip(), count=1)
    words = list(tokens(line))
    if not 2 <= len(words) <= MAX_TITLE_WORDS or line.endswith((".", "?", "…", ":")):
        return False
    return sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def running_text(text: str) -> str:
    """The running text of prose `text`, for language identification: without code-like lines,
    title lines (a list of game titles is not English prose), short quoted mentions, and tokens that
    are identifiers, acronyms, CamelCase names or single Latin letters."""
    kept: list[str] = []
    for line in text.splitlines():
        if is_code_line(line):
            continue
        line = _drop_mentions(line)
        if _is_title_line(line):
            continue
        kept.append(" ".join(w for w in line.split() if not _is_technical(w.strip(_EDGE_PUNCT))))
    return "\n".join(kept)


def _is_technical(token: str) -> bool:
    """An identifier, or a Latin acronym, CamelCase name or single letter: no evidence of a language.
    (Capitalised words stay: they are half of the evidence in a short English or Spanish sentence.)"""
    if _IDENTIFIER.search(token):
        return True
    if not token or not all(is_latin(c) for c in token if c.isalpha()):
        return False
    letters = "".join(_LETTERS.findall(token))
    return len(letters) <= 1 or bool(_ACRONYM.match(letters)) or bool(_CAMEL.search(letters))
