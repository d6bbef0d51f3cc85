"""Judge prompts: a sandboxed Jinja2 environment over `prompts/` and the chat messages it renders.

Why the layout: the system message holds the role, the rubric and the rules, and nothing about the
item, so it is byte-identical for every answer graded with one rubric, language and mode and the
server's prefix cache can reuse it. The user message holds the item (question, reference, reasoning)
and ends with the answer. Everything that came from a model or a dataset is neutralized first,
so it cannot close its own block or open a fake one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from judge.dataset import Item
from judge.errors import RubricError, problem
from judge.files import read_capped
from judge.resources import data_dir
from judge.rubric import DEFAULT_RATIONALE_CAP, Bilingual, Criterion, Rubric, Scale, load_rubric

Mode = Literal["single", "pairwise"]
SYSTEM_TEMPLATE = "judge_system.j2"
TEMPLATES = {"single": "judge_single.j2", "pairwise": "judge_pairwise.j2"}
PROMPTS_VERSION_PREFIX = "p1:"

# The block names the templates use, plus the special-token shapes of common chat templates
# (<|im_end|>, <|eot_id|>, harmony's <|start|>, DeepSeek's <｜...｜>, Gemma's turns), which a server
# could otherwise parse out of plain text as real control tokens. Characters that render as nothing
# (soft hyphen, zero-width spaces and joiners, word joiner, BOM) may sit anywhere in a tag:
# `<\u200b/ans\u200bwer>` reads as `</answer>`.
_INVISIBLE_CHARS = "\u00ad\u200b-\u200f\u2060-\u2064\ufeff"
_INVISIBLE = f"[{_INVISIBLE_CHARS}]*"
_GAP = rf"[\s{_INVISIBLE_CHARS}]*"
_NAMES = (
    "answer_a",
    "answer_b",
    "answer",
    "question",
    "reference",
    "reasoning_a",
    "reasoning_b",
    "reasoning",
    "rubric",
)
_BLOCKS = "(?:" + "|".join(_INVISIBLE.join(re.escape(ch) for ch in name) for name in _NAMES) + ")"
_DELIMITER = re.compile(
    rf"<(?={_GAP}/?{_GAP}{_BLOCKS}(?![\w-]))|<(?={_GAP}[|｜])|<(?={_GAP}/?{_GAP}(?:start_of_turn|end_of_turn|s){_GAP}>)",
    re.IGNORECASE,
)
LOOKALIKE = "‹"  # U+2039: reads like "<" to a model, but is not the delimiter


# Letters that render like the Latin ones of our tag names: `</аnswer>` with a Cyrillic а reads as
# `</answer>` to a model. NFKC already folds fullwidth and small forms (＜, ﹤, ａ).
_CONFUSABLE = str.maketrans(
    "авсеһіјӏкмнорԛѕтиуԝхүАВСЕНІЈКМНОРЅТХУαεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "abcehijlkmhopqstuywxyABCEHIJKMHOPSTXYaeiknoptuxABEHIKMNOPTYX",
)
_ENTITY = re.compile(rf"&(?:lt|#0*60|#x0*3c);(?={_GAP}/?{_GAP}(?:{_BLOCKS}(?![\w-])|[|｜]))", re.IGNORECASE)
# Turn markers of other chat formats: Llama 2's [INST] and <<SYS>>, and "Human:"/"Assistant:" lines.
_INST = re.compile(r"\[(?=\s*/?\s*INST\s*\])|<(?=<\s*/?\s*SYS\s*>>)|<(?=\s*/?\s*SYS\s*>>)", re.IGNORECASE)
_TURN = re.compile(r"(?m)^(\s*(?:Human|Assistant|System|User|Пользователь|Ассистент)\s*):")
_TURN_COLON = "\ua789"  # MODIFIER LETTER COLON: reads as ":" but is not the turn marker


def _skeleton(text: str) -> str:
    """`text` with each character replaced by the one it looks like (same length, same positions)."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out).translate(_CONFUSABLE)


def neutralize(text: str) -> str:
    """Replace the `<` of anything shaped like one of our block tags (or a chat control token).

    Shaped like, not spelled like: look-alike letters (Cyrillic, Greek, fullwidth), invisible
    characters inside the tag, HTML entities for `<`, and other chat formats' turn markers count.
    """
    if not text.isascii():
        skeleton = _skeleton(text)
        starts = [m.start() for m in _DELIMITER.finditer(skeleton)]
        if starts:
            chars = list(text)
            for i in starts:
                chars[i] = LOOKALIKE
            text = "".join(chars)
    text = _DELIMITER.sub(LOOKALIKE, text)
    text = _ENTITY.sub(LOOKALIKE, text)
    text = _INST.sub(lambda m: "［" if m.group() == "[" else LOOKALIKE, text)
    return _TURN.sub(rf"\1{_TURN_COLON}", text)


@lru_cache(maxsize=16)
def _environment(prompts_dir: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(prompts_dir, encoding="utf-8"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def environment(prompts_dir: str | Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment over `prompts_dir` (default: the repository's `prompts/`)."""
    return _environment(str(Path(prompts_dir or data_dir("prompts")).resolve()))


def render_template(name: str, context: dict[str, Any], prompts_dir: str | Path | None = None) -> str:
    """Render one template; a missing, broken or unsafe template becomes a RubricError naming file:line."""
    env = environment(prompts_dir)
    where = Path(prompts_dir or data_dir("prompts")) / name
    try:
        return env.get_template(name).render(**context).strip()
    except TemplateNotFound as e:
        raise RubricError([problem(where, None, None, "prompt template not found")]) from e
    except TemplateSyntaxError as e:
        raise RubricError([problem(e.filename or where, e.lineno, None, f"template syntax error: {e.message}")]) from e
    except TemplateError as e:  # UndefinedError, SecurityError (a SecurityError is a TemplateError)
        kind = type(e).__name__
        line = _template_line(e.__traceback__, str(where))
        raise RubricError([problem(where, line, None, f"template error ({kind}): {e}")]) from e


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """Jinja rewrites tracebacks so a template frame carries the template's own line number."""
    line = None
    resolved = str(Path(filename).resolve())
    while tb is not None:
        fn = tb.tb_frame.f_code.co_filename
        if fn in (filename, resolved):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def rubric_context(rubric: Rubric, lang: str) -> dict[str, Any]:
    """The rubric as the templates see it: texts already in `lang` (falling back to the other one)."""
    return {
        "name": rubric.name,
        "title": rubric.title.get(lang),
        "description": rubric.description.get(lang) if rubric.description else None,
        "scale": {"min": rubric.scale.min, "max": rubric.scale.max},
        "include_reasoning": rubric.include_reasoning,
        "include_reference": rubric.include_reference,
        # Every level has its own anchor: no "a score between two anchors" rule to explain.
        "all_anchored": all(len(c.anchors) == len(rubric.scale.levels()) for c in rubric.criteria),
        "any_na": any(c.not_applicable_when for c in rubric.criteria),
        "criteria": [
            {
                "id": c.id,
                "title": c.title.get(lang),
                "description": c.description.get(lang) if c.description else None,
                "weight": c.weight,
                "anchors": [{"level": k, "text": v.get(lang)} for k, v in sorted(c.anchors.items())],
                "not_applicable_when": c.not_applicable_when.get(lang) if c.not_applicable_when else None,
            }
            for c in rubric.criteria
        ],
    }


def render_system(
    rubric: Rubric,
    lang: str,
    mode: Mode = "single",
    *,
    rationale_cap: int = DEFAULT_RATIONALE_CAP,
    prompts_dir: str | Path | None = None,
) -> str:
    """The judge's system message: identical for every item with this rubric, language and mode."""
    ctx = {"lang": lang, "mode": mode, "rubric": rubric_context(rubric, lang), "rationale_cap": rationale_cap}
    return render_template(SYSTEM_TEMPLATE, ctx, prompts_dir)


def _data(text: str | None) -> str | None:
    return None if text is None else neutralize(text.strip("\n"))


def _lang(rubric: Rubric, item: Item, lang: str | None) -> str:
    """The language of the judge's instructions: `lang` if given, else the rubric's policy."""
    lang = lang or rubric.judge_lang(item.lang)
    if lang not in ("ru", "en"):
        raise ValueError(f"lang must be 'ru' or 'en', got {lang!r}")
    return lang


def render_single(
    rubric: Rubric,
    item: Item,
    answer: str,
    *,
    reasoning: str | None = None,
    lang: str | None = None,
    rationale_cap: int = DEFAULT_RATIONALE_CAP,
    prompts_dir: str | Path | None = None,
) -> list[dict[str, str]]:
    """Chat messages for grading one answer; the reasoning is shown only if the rubric asks for it."""
    lang = _lang(rubric, item, lang)
    user = render_template(
        TEMPLATES["single"],
        {
            "lang": lang,
            "question": _data(item.prompt),
            "reference": _data(item.reference) if rubric.include_reference else None,
            "reasoning": _data(reasoning) if rubric.include_reasoning and reasoning else None,
            "answer": _data(answer),
        },
        prompts_dir,
    )
    system = render_system(rubric, lang, "single", rationale_cap=rationale_cap, prompts_dir=prompts_dir)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def render_pairwise(
    rubric: Rubric,
    item: Item,
    answer_a: str,
    answer_b: str,
    *,
    reasoning_a: str | None = None,
    reasoning_b: str | None = None,
    lang: str | None = None,
    rationale_cap: int = DEFAULT_RATIONALE_CAP,
    prompts_dir: str | Path | None = None,
) -> list[dict[str, str]]:
    """Chat messages for comparing two answers (the caller swaps A and B for the second pass)."""
    lang = _lang(rubric, item, lang)
    show = rubric.include_reasoning
    user = render_template(
        TEMPLATES["pairwise"],
        {
            "lang": lang,
            "question": _data(item.prompt),
            "reference": _data(item.reference) if rubric.include_reference else None,
            "reasoning_a": _data(reasoning_a) if show and reasoning_a else None,
            "reasoning_b": _data(reasoning_b) if show and reasoning_b else None,
            "answer_a": _data(answer_a),
            "answer_b": _data(answer_b),
        },
        prompts_dir,
    )
    system = render_system(rubric, lang, "pairwise", rationale_cap=rationale_cap, prompts_dir=prompts_dir)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def render_for_display(messages: list[dict[str, str]]) -> str:
    """Messages as plain text with a header per role, for `judge rubric show`."""
    parts = []
    for m in messages:
        header = f"──── {m['role']} " + "─" * max(0, 60 - len(m["role"]))
        parts.append(f"{header}\n{m['content']}")
    return "\n\n".join(parts) + "\n"


def prompts_version(prompts_dir: str | Path | None = None) -> str:
    """`p1:` + 16 hex of sha256 over the judge templates, so a template edit can trigger regrading."""
    root = Path(prompts_dir or data_dir("prompts"))
    h = hashlib.sha256()
    for name in sorted([SYSTEM_TEMPLATE, *TEMPLATES.values()]):
        path = root / name
        if not path.is_file():
            raise RubricError([problem(path, None, None, "prompt template not found")])
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return PROMPTS_VERSION_PREFIX + h.hexdigest()[:16]


MAX_TEMPLATE_BYTES = 1_000_000
"""A judge template is a few kilobytes; a bigger file (or a device, a FIFO) is refused."""


def check_templates(prompts_dir: str | Path | None = None, rubrics: Iterable[Rubric] = ()) -> None:
    """Compile and render every judge template before a run, raising a RubricError at `file:line`.

    Why: a template is otherwise first rendered for the first job, after the run was recorded in
    the database. Each template is rendered in both languages and both modes, once with every
    optional part present and once with none (so both sides of its `{% if %}`s run), with a
    built-in sample rubric and with each of `rubrics` (the ones about to be graded).
    """
    root = Path(prompts_dir or data_dir("prompts"))
    for name in sorted([SYSTEM_TEMPLATE, *TEMPLATES.values()]):
        read_capped(root / name, RubricError, MAX_TEMPLATE_BYTES)  # exists, a regular file, small
    for rubric in [*_sample_rubrics(), *rubrics]:
        for lang in ("ru", "en"):
            s = _SAMPLE[lang]
            item = sample_item(rubric, lang)
            bare = item.model_copy(update={"reference": None})
            for it, reasoning in ((item, s["reasoning"]), (bare, None)):
                opts: dict[str, Any] = {"lang": lang, "prompts_dir": prompts_dir}
                render_single(rubric, it, s["answer"], reasoning=reasoning, **opts)
                render_pairwise(
                    rubric, it, s["answer"], s["answer_b"], reasoning_a=reasoning, reasoning_b=reasoning, **opts
                )


def _sample_rubrics() -> list[Rubric]:
    """Two rubrics between them using every optional field once and leaving it out once."""

    def text(word: str) -> Bilingual:
        return Bilingual(ru=f"{word} (ru)", en=f"{word} (en)")

    full = Rubric(
        name="template_check_full",
        title=text("title"),
        description=text("description"),
        scale=Scale(min=1, max=5),
        include_reasoning=True,
        criteria=[
            Criterion(
                id="accuracy",
                title=text("accuracy"),
                description=text("what it checks"),
                anchors={1: text("bad"), 3: text("fair"), 5: text("good")},
                weight=2.0,
                not_applicable_when=text("when it does not apply"),
            ),
            Criterion(id="clarity", title=text("clarity"), anchors={1: text("bad"), 5: text("good")}),
        ],
    )
    bare = Rubric(
        name="template_check_bare",
        title=text("title"),
        scale=Scale(min=0, max=1),
        include_reference=False,
        criteria=[Criterion(id="valid", title=text("valid"), anchors={0: text("no"), 1: text("yes")})],
    )
    return [full, bare]


# A fixed sample so a linguist sees exactly what the judge sees; per language, with a reference.
_SAMPLE = {
    "ru": {
        "prompt": "В корзине 12 яблок. Треть яблок съели, а потом положили ещё 5. Сколько яблок в корзине?",
        "reference": "Съели 12 / 3 = 4 яблока, осталось 8; 8 + 5 = 13. Ответ: 13.",
        "reasoning": "Треть от 12 — это 4. 12 − 4 = 8. Потом добавили 5: 8 + 5 = 13.",
        "answer": "Сначала съели треть: 12 / 3 = 4 яблока, осталось 8. Затем положили ещё 5, итого 13 яблок.",
        "answer_b": "В корзине 17 яблок.",
    },
    "en": {
        "prompt": "A basket holds 12 apples. A third of them are eaten, then 5 more are added. How many apples are in the basket?",
        "reference": "12 / 3 = 4 eaten, 8 left; 8 + 5 = 13. Answer: 13.",
        "reasoning": "A third of 12 is 4. 12 - 4 = 8. Then add 5: 8 + 5 = 13.",
        "answer": "First a third is eaten: 12 / 3 = 4 apples, leaving 8. Then 5 are added, so there are 13 apples.",
        "answer_b": "There are 17 apples in the basket.",
    },
}


def sample_item(rubric: Rubric, lang: str) -> Item:
    """The built-in sample question, in a category the rubric applies to."""
    s = _SAMPLE[lang]
    category = (rubric.applies_to.categories or ["arithmetic"])[0]
    return Item(
        id=f"sample-{lang}",
        pair="sample",
        lang=lang,  # type: ignore[arg-type]  # a rubric's language, ru or en
        category=category,
        prompt=s["prompt"],
        reference=s["reference"],
    )


def show_prompt(
    path: str | Path,
    lang: str,
    mode: Mode = "single",
    *,
    rationale_cap: int = DEFAULT_RATIONALE_CAP,
    prompts_dir: str | Path | None = None,
) -> str:
    """The exact judge prompt for a rubric file and a built-in sample answer in `lang` (`judge rubric show`),
    headed by the instruction language the rubric's policy chose."""
    if lang not in _SAMPLE:
        raise ValueError(f"lang must be 'ru' or 'en', got {lang!r}")
    rubric = load_rubric(path)
    item = sample_item(rubric, lang)
    s = _SAMPLE[lang]
    # `lang` is the item's language; the instructions follow the rubric's policy (judge_lang).
    opts: dict[str, Any] = {"rationale_cap": rationale_cap, "prompts_dir": prompts_dir}
    if mode == "pairwise":
        messages = render_pairwise(
            rubric, item, s["answer"], s["answer_b"], reasoning_a=s["reasoning"], reasoning_b=s["reasoning"], **opts
        )
    elif mode == "single":
        messages = render_single(rubric, item, s["answer"], reasoning=s["reasoning"], **opts)
    else:
        raise ValueError(f"mode must be 'single' or 'pairwise', got {mode!r}")
    policy = rubric.instruction_lang or "default"
    head = f"# item language: {lang}; judge instructions in: {rubric.judge_lang(lang)} (instruction_lang: {policy})\n\n"
    return head + render_for_display(messages)
