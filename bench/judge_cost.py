"""Judge cost: calls per graded answer, prompt tokens per call, and the shared-prefix share.

For each bundled rubric (rubrics/*.yaml) and a few seed items (datasets/seed.jsonl), render the judge
prompts exactly as `judge grade` does (`judge.prompts.render_single` / `render_pairwise`) and report,
per rubric, language and mode:

- calls per graded answer: single mode makes one call per answer per rubric that applies to it;
  pairwise makes two calls (both orders) per pair of answers per rubric;
- prompt tokens per call: characters / 4 by default; with `--base-url` of a llama.cpp server, the
  real count (its `/apply-template` renders the chat template, `/tokenize` counts the tokens);
- shared prefix: the system message, which `judge.prompts` keeps byte-identical for every answer
  with one rubric, language and mode, so a server's prefix cache can reuse it. Its share of the
  prompt is the part of each call that a prefix cache can skip. The script checks the identity.

    .venv/bin/python bench/judge_cost.py                                   # estimate, 6 pairs
    .venv/bin/python bench/judge_cost.py --base-url http://127.0.0.1:8080/v1 --pairs 10

Figures only; nothing is asserted except that the system messages really are identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judge.dataset import Item, load_items  # noqa: E402
from judge.prompts import render_pairwise, render_single  # noqa: E402
from judge.rubric import (  # noqa: E402
    DEFAULT_RATIONALE_CAP,
    Rubric,
    applies,
    load_rubric,
    max_tokens_for,
)


class Counter:
    """Tokens of a text or of chat messages: characters/4, or a llama.cpp server's own count."""

    def __init__(self, base_url: str | None) -> None:
        self.root = base_url.rstrip("/").removesuffix("/v1") if base_url else None
        self.templated = True

    @property
    def label(self) -> str:
        if not self.root:
            return "estimate: characters / 4"
        how = "chat template applied" if self.templated else "contents only, no chat template"
        return f"llama.cpp /tokenize at {self.root} ({how})"

    def _post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(
            self.root + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def text(self, text: str) -> int:
        if not self.root:
            return round(len(text) / 4)
        return len(self._post("/tokenize", {"content": text, "add_special": False})["tokens"])

    def messages(self, messages: list[dict[str, str]]) -> int:
        if not self.root:
            return round(sum(len(m["content"]) for m in messages) / 4)
        if self.templated:
            try:
                prompt = self._post("/apply-template", {"messages": messages})["prompt"]
                return self.text(prompt)
            except OSError:
                self.templated = False  # an older server: count the contents only
        return sum(self.text(m["content"]) for m in messages)


def seed_answers(items: list[Item], pairs: int) -> list[tuple[Item, str]]:
    """The first `pairs` RU/EN pairs of the seed set, each answered with its reference (a stand-in
    for a model's answer of similar length)."""
    by_pair: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.pair and it.reference:
            by_pair[it.pair].append(it)
    chosen = [group for group in by_pair.values() if len(group) == 2][:pairs]
    return [(it, it.reference or "") for group in chosen for it in group]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--base-url", help="a llama.cpp server (…/v1) whose /tokenize gives real counts")
    ap.add_argument("--pairs", type=int, default=6, help="RU/EN seed pairs to render (default 6)")
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "seed.jsonl")
    ap.add_argument("--rubrics", nargs="*", type=Path, default=sorted((ROOT / "rubrics").glob("*.yaml")))
    ap.add_argument("--rationale-cap", type=int, default=DEFAULT_RATIONALE_CAP)
    ap.add_argument("--json", action="store_true", help="print the table as JSON lines too")
    args = ap.parse_args()

    rubrics: list[Rubric] = [load_rubric(p) for p in args.rubrics]
    answers = seed_answers(load_items(args.dataset), args.pairs)
    tok = Counter(args.base_url)
    cap = args.rationale_cap

    rows = []
    calls_per_answer: list[int] = []
    for it, _ in answers:
        calls_per_answer.append(sum(applies(r, it) for r in rubrics))
    for r in rubrics:
        for lang in ("ru", "en"):
            group = [(it, a) for it, a in answers if it.lang == lang and applies(r, it)]
            if not group:
                continue
            for mode in ("single", "pairwise"):
                if mode == "single":
                    msgs = [render_single(r, it, a, rationale_cap=cap) for it, a in group]
                else:  # the answer against a short wrong one, as a stand-in for a second model
                    other = "42" if lang == "en" else "Ответ: 42"
                    msgs = [render_pairwise(r, it, a, other, rationale_cap=cap) for it, a in group]
                systems = {m[0]["content"] for m in msgs}
                if len(systems) != 1:
                    raise SystemExit(f"{r.name}/{lang}/{mode}: the system message differs between answers")
                system_tokens = tok.messages([msgs[0][0]])
                totals = [tok.messages(m) for m in msgs]
                rows.append(
                    {
                        "rubric": r.name,
                        "lang": lang,
                        "mode": mode,
                        "answers": len(group),
                        "calls_per_answer": 1 if mode == "single" else 2,
                        "prompt_tokens_mean": statistics.mean(totals),
                        "prompt_tokens_max": max(totals),
                        "system_tokens": system_tokens,
                        "shared_share": statistics.mean(min(1.0, system_tokens / t) for t in totals),
                        "system_chars": len(msgs[0][0]["content"]),
                        "max_tokens": max_tokens_for(r, cap),
                    }
                )

    print(f"tokens       {tok.label}")
    print(
        f"items        {len(answers)} seed answers ({args.pairs} RU/EN pairs from {args.dataset.name}); "
        f"rubrics: {', '.join(r.name for r in rubrics)}; rationale cap {cap}"
    )
    print(
        f"calls        single mode: {statistics.mean(calls_per_answer):.2f} judge calls per answer on average "
        f"(one per applicable rubric: {min(calls_per_answer)}–{max(calls_per_answer)}); pairwise: 2 per pair "
        f"per rubric (both orders)"
    )
    print()
    head = (
        f"{'rubric':18} {'lang':4} {'mode':8} {'n':>3} {'calls/ans':>9} {'prompt tok':>10} {'max':>6} "
        f"{'system tok':>10} {'shared':>7} {'max_tokens':>10}"
    )
    print(head)
    print("-" * len(head))
    for x in rows:
        calls = "1" if x["mode"] == "single" else "2/pair"
        print(
            f"{x['rubric']:18} {x['lang']:4} {x['mode']:8} {x['answers']:>3} {calls:>9} "
            f"{x['prompt_tokens_mean']:>10.0f} {x['prompt_tokens_max']:>6} {x['system_tokens']:>10} "
            f"{x['shared_share']:>7.0%} {x['max_tokens']:>10}"
        )
    single = [x for x in rows if x["mode"] == "single"]
    if single:
        w = sum(x["answers"] for x in single)
        share = sum(x["shared_share"] * x["answers"] for x in single) / w
        toks = sum(x["prompt_tokens_mean"] * x["answers"] for x in single) / w
        print(
            f"\nsingle mode overall: {toks:.0f} prompt tokens per call, {share:.0%} of them a shared prefix "
            f"(the system message, identical per rubric × language)"
        )
    if args.json:
        for x in rows:
            print(json.dumps(x, ensure_ascii=False))


if __name__ == "__main__":
    main()
