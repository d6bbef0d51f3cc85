"""An outside check on real text: does our judge rank real answers as the published leaderboard does?

The ru_llm_arena leaderboard (an Arena-Hard-Auto fork; /work/shared/data/ru_llm_arena) judged 500
real Russian chat prompts pairwise with GPT-4 and published win rates against gpt-3.5-turbo-0125:
gpt-4-1106-preview 90.9, gpt-3.5-turbo-0125 50.0, hermes-2-pro-llama-3-8b 30.8. This script takes
those three models' real answers on a sample of N prompts, imports them (`judge import-answers
--format arena-hard`), grades every pair with position swap (`judge grade --mode pairwise`) with a
chosen judge, and compares:

- the Bradley-Terry order and win rates against gpt-3.5-turbo-0125 with the published ones:
  Kendall τ, the share of the three model pairs ordered as published, and the share of decided
  games won by the published-stronger model, with bootstrap CIs over prompts;
- what the report's judge-reliability numbers say (position-swap consistency, first-position
  rate) and the halo (how often every criterion of a pair names the same winner);
- length: how often the longer answer won, the win rate "longest wins" would give, and the
  style-controlled win rates (judge.report.length) — gpt-4's answers are the longest, so a judge
  that merely likes length would agree with the leaderboard for the wrong reason.

Judge: `--config judge.toml` uses that file's [judge] model (its endpoint; the bench makes its own
database and dataset in --workdir). Default: the embedded llama.cpp Qwen2.5-0.5B, started as
`judge demo` starts it and stopped at the end; on two CPU cores that takes minutes per prompt
(3 pairs x 2 orders = 6 judge calls a prompt), so `--n 2` is a smoke run.

Rubric: `--rubric helpfulness` (default, bench/arena_helpfulness.yaml: Arena-Hard's overall verdict
plus two narrower criteria for the halo; the ranking uses `helpfulness`) or `--rubric fluency`
(rubrics/russian_fluency.yaml: grades the Russian, not helpfulness — a different question from the
leaderboard's; the ranking pools its criteria), or a rubric file.

    .venv/bin/python bench/external_ranking.py --n 2                      # smoke run, embedded judge
    .venv/bin/python bench/external_ranking.py --n 30 --config judge.toml  # a real judge
    .venv/bin/python bench/external_ranking.py --rubric fluency --n 30 --config judge.toml

Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judge import stats  # noqa: E402
from judge.report.length import ALL_CRITERIA, build_length_bias  # noqa: E402
from judge.store import Store  # noqa: E402
from judge.store.filters import Filters  # noqa: E402

DATA = Path("/work/shared/data/ru_llm_arena")
DATASET = ROOT / "datasets" / "ru_arena_general.jsonl"
MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-0125", "hermes-2-pro-llama-3-8b")
BASELINE = "gpt-3.5-turbo-0125"
PUBLISHED = {"gpt-4-1106-preview": 90.9, "gpt-3.5-turbo-0125": 50.0, "hermes-2-pro-llama-3-8b": 30.8}
"""leaderboard_2024-10-27.txt, "Без контроля длины": win rate vs gpt-3.5-turbo-0125, judge GPT-4."""
RUBRICS = {
    "helpfulness": (ROOT / "bench" / "arena_helpfulness.yaml", "helpfulness"),
    "fluency": (ROOT / "rubrics" / "russian_fluency.yaml", ALL_CRITERIA),
}
WHAT = {
    "arena_helpfulness": "overall helpfulness (Arena-Hard's question; GPT-4 answered it for the leaderboard)",
    "russian_fluency": "the Russian language of the answers, NOT helpfulness: a different question from the leaderboard's",
}


# -- data ---------------------------------------------------------------------------------------


def published(data: Path) -> dict[str, float]:
    """The three models' scores from the leaderboard file (the constants if it is missing)."""
    path = data / "leaderboard_2024-10-27.txt"
    if not path.exists():
        return dict(PUBLISHED)
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"[│|]\s*(\S+)\s*[│|]\s*([\d.]+)\s*[│|]", line)
        if m and m.group(1) in PUBLISHED:
            out.setdefault(m.group(1), float(m.group(2)))
    return {k: out.get(k, v) for k, v in PUBLISHED.items()}


def _answers(path: Path) -> dict[str, str]:
    """question_id (as text) -> the file's line, for one Arena-Hard answer file."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out[str(json.loads(line)["question_id"])] = line
    return out


def sample(
    n: int, seed: int, dataset: Path, answers_dir: Path, models: Sequence[str]
) -> tuple[list[str], dict[str, str], dict[str, dict[str, str]]]:
    """N prompt ids (`arena-<qid>`) every model answered, drawn with `seed`; the dataset lines and answer lines."""
    lines = {json.loads(ln)["id"]: ln for ln in dataset.read_text(encoding="utf-8").splitlines() if ln.strip()}
    answers = {m: _answers(answers_dir / f"{m}.jsonl") for m in models}
    ids = sorted(i for i in lines if all(i.removeprefix("arena-") in answers[m] for m in models))
    if n > len(ids):
        raise SystemExit(f"--n {n}: only {len(ids)} prompts have answers from all {len(models)} models")
    chosen = sorted(random.Random(seed).sample(ids, n))
    return chosen, lines, answers


def write_project(
    workdir: Path, chosen: list[str], lines: dict[str, str], answers: dict[str, dict[str, str]]
) -> tuple[Path, dict[str, Path]]:
    """The sampled dataset and one filtered answer file per model, in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    ds = workdir / "sample.jsonl"
    ds.write_text("".join(lines[i] + "\n" for i in chosen), encoding="utf-8")
    files = {}
    for m, by in answers.items():
        files[m] = workdir / f"answers-{m}.jsonl"
        files[m].write_text("".join(by[i.removeprefix("arena-")] + "\n" for i in chosen), encoding="utf-8")
    return ds, files


# -- judging ------------------------------------------------------------------------------------


def judge_model(args: argparse.Namespace, base_url: str | None) -> Any:
    """The judge's endpoint: the [judge] model of --config, or the embedded server at base_url."""
    from judge.config import GenParams, ModelConfig, load_config

    if args.config:
        return load_config(args.config).judge_model()
    return ModelConfig(
        name="qwen2.5-0.5b-judge",
        base_url=base_url or "",
        model="qwen2.5-0.5b",
        params=GenParams(temperature=0.0, seed=1),
        concurrency=args.parallel,
        max_attempts=3,
        timeout=1800.0,
        quantization="q4_k_m",
    )


def run(args: argparse.Namespace, workdir: Path, rubric: Path, chosen: list[str], files: dict[str, Path]) -> Path:
    """Import the answers and grade every pair in both orders; returns the database path."""
    from judge.config import Config, JudgeConfig
    from judge.external import import_answers
    from judge.grade import grade

    server = None
    base_url = None
    if not args.config:
        from judge.serve.embedded import LlamaCppServer, free_port, model_path

        say(f"starting the embedded llama.cpp server (Qwen2.5-0.5B, {args.parallel} slots)")
        server = LlamaCppServer(
            model_path("qwen2.5-0.5b"),
            alias="qwen2.5-0.5b",
            port=free_port(),
            n_parallel=args.parallel,
            ctx_per_slot=args.ctx_per_slot,
            log=workdir / "server.log",
            exit_with_parent=True,
        )
        server.start(timeout=300)
        base_url = server.base_url
    try:
        jm = judge_model(args, base_url)
        cfg = Config(
            db="judge.duckdb",
            dataset="sample.jsonl",
            judge=JudgeConfig(
                model=jm,
                rubrics=[str(rubric)],
                mode="pairwise",
                rationale_max_chars=args.rationale_chars,
                logprobs=False,
            ),
        )
        cfg.base_dir, cfg.path = workdir, workdir / "judge.toml"
        for m, path in files.items():
            s = import_answers(cfg, path, model=m, fmt="arena-hard", dataset=workdir / "sample.jsonl")
            say(f"imported {s.stored} answers of {m} ({s.already} already there)")
        done = [0]
        t0 = time.monotonic()

        def on_done(_what: str, ok: bool) -> None:
            done[0] += 1
            if done[0] % 6 == 0:
                say(f"  {done[0]} judge calls, {time.monotonic() - t0:.0f} s")

        say(f"grading {len(chosen)} prompts x 3 pairs x 2 orders with {jm.name} ({jm.model} at {jm.urls[0]})")
        r = grade(cfg, mode="pairwise", concurrency=args.concurrency, on_done=on_done)
        say(f"graded: {r.ok} ok, {r.errors} errors, {time.monotonic() - t0:.0f} s")
    finally:
        if server is not None:
            server.stop()
    return cfg.db_path


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- statistics ---------------------------------------------------------------------------------

Game = tuple[str, str, str, str | None]
"""(prompt_id, model_a, model_b, result A/B/tie or None when failed/not applicable)."""


def games(store: Store, criterion: str) -> list[Game]:
    """Every pair × criterion after the swap, for one criterion or every criterion (ALL_CRITERIA)."""
    where = "" if criterion == ALL_CRITERIA else "WHERE criterion = ?"
    rows = store.records(
        f"""
        SELECT prompt_id, model_a, model_b,
               CASE WHEN status <> 'decided' OR winner IS NULL THEN NULL WHEN winner = 'tie' THEN 'tie'
                    WHEN winner = model_a THEN 'A' ELSE 'B' END AS result
        FROM pairwise {where} ORDER BY prompt_id, model_a, model_b, criterion""",
        [] if criterion == ALL_CRITERIA else [criterion],
    )
    return [(r["prompt_id"], r["model_a"], r["model_b"], r["result"]) for r in rows]


def measures(gs: list[Game], pub: dict[str, float]) -> dict[str, Any]:
    """BT ratings, win rates vs the baseline, Kendall τ, pair-order and game agreement with `pub`."""
    outcomes = [(a, b, r) for _, a, b, r in gs if r is not None]
    bt = stats.bradley_terry(outcomes) if outcomes else {}
    models = [m for m in pub if m in bt]
    tau = float("nan")
    if len(models) >= 2:
        t = sp.kendalltau([bt[m] for m in models], [pub[m] for m in models]).statistic
        tau = float(t) if t is not None and np.isfinite(t) else float("nan")
    pairs = [(x, y) for i, x in enumerate(models) for y in models[i + 1 :]]
    same = [np.sign(bt[x] - bt[y]) == np.sign(pub[x] - pub[y]) for x, y in pairs]
    vs: dict[str, list[float]] = defaultdict(list)
    decided = agree = 0
    for a, b, r in outcomes:
        for me, other, won in ((a, b, r == "A"), (b, a, r == "B")):
            if other == BASELINE:
                vs[me].append(0.5 if r == "tie" else float(won))
        if r != "tie" and pub.get(a) != pub.get(b):
            decided += 1
            agree += (r == "A") == (pub[a] > pub[b])
    return {
        "bt": bt,
        "tau": tau,
        "pair_agreement": float(np.mean(same)) if same else float("nan"),
        "game_agreement": agree / decided if decided else float("nan"),
        "win_vs_baseline": {m: float(np.mean(v)) for m, v in vs.items()},
        "n_pairs": len(pairs),
        "n_games": len(outcomes),
        "n_decided": decided,
    }


def bootstrap(gs: list[Game], pub: dict[str, float], n_boot: int, seed: int) -> dict[str, Any]:
    """Percentile CIs over prompts (whole prompts resampled) for every measure."""
    by: dict[str, list[Game]] = defaultdict(list)
    for g in gs:
        by[g[0]].append(g)
    prompts = sorted(by)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = defaultdict(list)
    for _ in range(n_boot):
        pick = rng.integers(0, len(prompts), len(prompts))
        m = measures([g for i in pick for g in by[prompts[i]]], pub)
        for k in ("tau", "pair_agreement", "game_agreement"):
            draws[k].append(m[k])
        for model, v in m["bt"].items():
            draws[f"bt:{model}"].append(v)
        for model, v in m["win_vs_baseline"].items():
            draws[f"wr:{model}"].append(v)

    def ci(key: str) -> tuple[float, float]:
        x = np.asarray(draws.get(key, []), dtype=float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            return float("nan"), float("nan")
        lo, hi = np.quantile(x, [0.025, 0.975])
        return float(lo), float(hi)

    return {k: ci(k) for k in draws}


def halo(store: Store, criteria: Sequence[str]) -> tuple[float, int, float, int]:
    """Of the pairs with every criterion decided: the share where all criteria name one winner.

    Also the same share in the first order alone (before the swap turns disagreements into ties).
    """
    if len(criteria) < 2:
        return float("nan"), 0, float("nan"), 0
    rows = store.records("""
        SELECT pair_id, count(*) AS n, count(DISTINCT winner) AS winners,
               count(DISTINCT winner_order1) AS winners1, bool_and(status = 'decided') AS ok
        FROM pairwise GROUP BY pair_id""")
    ok = [r for r in rows if r["ok"] and r["n"] == len(criteria)]
    same = sum(r["winners"] == 1 for r in ok)
    same1 = sum(r["winners1"] == 1 for r in ok)
    n = len(ok)
    return (same / n if n else float("nan"), n, same1 / n if n else float("nan"), n)


# -- printing -----------------------------------------------------------------------------------


def _n(x: float | None) -> float:
    """None (no value) as NaN; 0.0 stays 0.0."""
    return float("nan") if x is None else float(x)


def _pc(text: str) -> str:
    """A percentage cell: the % sign only after a number."""
    return text if text.startswith("—") else text + " %"


def _f(x: float | None, d: int = 1, pct: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{100 * x:.{d}f}" if pct else f"{x:.{d}f}"


def _ci(x: float, lohi: tuple[float, float] | None, d: int = 1, pct: bool = False) -> str:
    if not np.isfinite(x):
        return "—"
    if lohi is None or not np.isfinite(lohi[0]):
        return _f(x, d, pct)
    return f"{_f(x, d, pct)} [{_f(lohi[0], d, pct)}, {_f(lohi[1], d, pct)}]"


def table(cols: list[str], rows: list[list[str]]) -> str:
    w = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(cells))  # noqa: E731
    return "\n".join([line(cols), "  ".join("-" * x for x in w), *(line(r) for r in rows)])


def report(db: Path, rubric_name: str, criterion: str, pub: dict[str, float], args: argparse.Namespace) -> None:
    from judge.report import build_report

    with Store.open_readonly(db) as store:
        crits = [r["criterion"] for r in store.records("SELECT DISTINCT criterion FROM pairwise ORDER BY 1")]
        if criterion != ALL_CRITERIA and criterion not in crits:
            raise SystemExit(f"--criterion {criterion!r}: the comparisons have {crits}")
        gs = games(store, criterion)
        m = measures(gs, pub)
        cis = bootstrap(gs, pub, args.n_boot, args.seed)
        counts = store.records("SELECT status, count(*) AS n FROM pairwise GROUP BY 1 ORDER BY 1")
        lb = build_length_bias(store, Filters(), n_boot=args.n_boot, seed=args.seed)
        rep = build_report(store, n_boot=args.n_boot, seed=args.seed)
        h = halo(store, crits)
        lengths = {
            r["model"]: r["chars"]
            for r in store.records("SELECT model, avg(length(answer)) AS chars FROM answers GROUP BY 1")
        }
    lrow = next(
        (r for r in lb.rows if r.criterion == criterion and r.lang == "ru"),
        next((r for r in lb.rows if r.criterion == ALL_CRITERIA), lb.rows[0] if lb.rows else None),
    )
    lm = {x.model: x for x in lrow.models} if lrow else {}

    n_prompts = len({g[0] for g in gs})
    print(f"\nExternal ranking check: {n_prompts} ru_llm_arena prompts (seed {args.seed}), judge rubric {rubric_name}")
    print(f"The rubric grades {WHAT.get(rubric_name, 'what its file says')}.")
    print(f"Ranked on criterion: {'all criteria pooled' if criterion == ALL_CRITERIA else criterion}.")
    print("Comparisons: " + ", ".join(f"{c['status']} {c['n']}" for c in counts) + f" (all criteria: {crits})")
    print()
    order = sorted(pub, key=lambda x: -pub[x])
    rows = []
    for model in order:
        bt = m["bt"].get(model, float("nan"))
        wr = m["win_vs_baseline"].get(model, float("nan"))
        x = lm.get(model)
        rows.append(
            [
                model,
                f"{pub[model]:.1f}",
                "50.0 (baseline)" if model == BASELINE else _ci(wr, cis.get(f"wr:{model}"), pct=True),
                _ci(bt, cis.get(f"bt:{model}"), d=0),
                f"{lengths.get(model, float('nan')):.0f}",
                _f(x.win_rate, pct=True) if x else "—",
                _f(x.longest_wins_rate, pct=True) if x else "—",
                _ci(
                    _n(x.controlled_win_rate),
                    (_n(x.controlled_win_rate_lo), _n(x.controlled_win_rate_hi)),
                    pct=True,
                )
                if x
                else "—",
            ]
        )
    print(
        table(
            [
                "model",
                "published (GPT-4)",
                "win % vs gpt-3.5 [95% CI]",
                "Bradley-Terry [95% CI]",
                "mean chars",
                "win % (all games)",
                "longest-wins %",
                "style-controlled win % [CI]",
            ],
            rows,
        )
    )
    print()
    summary = [
        ["Kendall tau, our BT order vs published", _ci(m["tau"], cis.get("tau"), d=2)],
        [
            f"model pairs ordered as published (of {m['n_pairs']} compared)",
            _pc(_ci(m["pair_agreement"], cis.get("pair_agreement"), pct=True)),
        ],
        [
            f"decided games won by the published-stronger model (n={m['n_decided']})",
            _pc(_ci(m["game_agreement"], cis.get("game_agreement"), pct=True)),
        ],
    ]
    if lrow:
        summary += [
            [
                f"longer answer won (of {lrow.n_longer_decided} decided, unequal, {lrow.criterion}, {lrow.lang})",
                _pc(_ci(_n(lrow.p_longer_preferred), (_n(lrow.lo), _n(lrow.hi)), pct=True)),
            ],
            [
                "length effect, log-odds for the longer answer at the median gap",
                _ci(
                    _n(lrow.length_effect),
                    (_n(lrow.effect_lo), _n(lrow.effect_hi)),
                    d=2,
                ),
            ],
        ]
    for s in rep.sections.judge_reliability.swap:
        summary.append(
            [
                f"swap consistency ({s.judge}, {s.rubric}, {s.n} pair x criterion)",
                _pc(_ci(_n(s.consistency), (_n(s.lo), _n(s.hi)), pct=True)),
            ]
        )
        summary.append(["  picks the answer shown first (0.5 = no position bias)", _f(s.first_position_rate, 2)])
    report_halo = getattr(rep.sections.judge_reliability, "halo", None)
    if report_halo:  # the report measures it itself (newer report versions)
        for x in report_halo:
            summary.append([f"halo (report): {x}", ""])
    summary.append(
        [
            f"halo: pairs where all {len(crits)} criteria name one winner (n={h[1]})",
            "— (one criterion)" if len(crits) < 2 else _pc(_f(h[0], pct=True)),
        ]
    )
    if np.isfinite(h[2]):
        summary.append(["  same, first order only (before the swap)", _pc(_f(h[2], pct=True))])
    print(table(["measure", "value [95% CI over prompts]"], summary))
    print()
    _print_gate(rep)
    print(
        "How to read: the leaderboard's order is gpt-4-1106-preview > gpt-3.5-turbo-0125 > hermes-2-pro-llama-3-8b. "
        "tau = 1 and 3/3 pairs mean the same order. gpt-4's answers are the longest: compare 'win %' with "
        "'longest-wins %' and the style-controlled column before crediting the judge. Halo near 100 % with several "
        "criteria means the judge names one winner and copies it across criteria."
    )
    print(f"Database: {db} (`judge report --db {db}`).")


def _print_gate(rep: Any) -> None:
    """What the report's validity gate says about this judge (the `answers` section)."""
    a = rep.sections.answers
    if a is None:
        return
    print(f"Validity gate: judge {'TRUSTED' if a.judge_trusted else 'NOT trusted'}")
    for why in a.reasons:
        print(f"  - {why}")
    rows = [
        [g.judge, g.rubric, g.criterion or "(all)", g.lang, g.test, g.status, g.text]
        for g in rep.sections.judge_reliability.gate
    ]
    if rows:
        print(table(["judge", "rubric", "criterion", "lang", "test", "status", "result"], rows))
    print()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=30, help="prompts to sample (default 30)")
    p.add_argument("--seed", type=int, default=0, help="sampling and bootstrap seed")
    p.add_argument("--config", type=Path, help="judge.toml whose [judge] model to use (default: embedded Qwen2.5-0.5B)")
    p.add_argument("--rubric", default="helpfulness", help="helpfulness (default), fluency, or a rubric file")
    p.add_argument("--criterion", help=f"criterion to rank by (default: helpfulness, or {ALL_CRITERIA} = pooled)")
    p.add_argument("--data", type=Path, default=DATA, help="the ru_llm_arena folder (answers/, leaderboard)")
    p.add_argument("--dataset", type=Path, default=DATASET, help="the prompts as judge items (ids arena-<qid>)")
    p.add_argument("--workdir", type=Path, help="where the database goes (default: a new temp dir, kept)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--concurrency", type=int, help="judge requests in flight (default: the judge's own)")
    p.add_argument("--rationale-chars", type=int, default=120, help="rationale cap per criterion (judge output)")
    p.add_argument("--parallel", type=int, default=2, help="embedded server slots")
    p.add_argument("--ctx-per-slot", type=int, default=8192, help="embedded server context per slot")
    args = p.parse_args(argv)

    if args.rubric in RUBRICS:
        rubric, default_crit = RUBRICS[args.rubric]
    else:
        rubric, default_crit = Path(args.rubric).resolve(), ALL_CRITERIA
    from judge.rubric import load_rubric

    rubric_name = load_rubric(rubric).name
    criterion = args.criterion or default_crit
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="external-ranking-"))).resolve()
    if (workdir / "judge.duckdb").exists():
        say(f"{workdir}/judge.duckdb exists: resuming (stored answers and verdicts are kept)")
    chosen, lines, answers = sample(args.n, args.seed, args.dataset, args.data / "answers", MODELS)
    _, files = write_project(workdir, chosen, lines, answers)
    db = run(args, workdir, rubric, chosen, files)
    report(db, rubric_name, criterion, published(args.data), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
