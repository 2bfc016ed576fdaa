"""Which units to label next, measured: uncertainty + diversity (`policy_nlp.learn.suggest.select`) vs random.

A simulation on the hand-labelled units (training/data/seed_units.jsonl + work_report_units.jsonl): the model
starts from the five seed reports' units; the pool is the units of one labelled work report and the test set
those of the other (both directions are run). Each round adds `--step` units from the pool, picked by

- `uncertainty+diversity`: `select` on the current model's margins to its thresholds (the `policy-nlp suggest`
  ranking: penalties per report and section, no near-duplicates);
- `uncertainty`: the lowest margins alone (no diversity terms), as an ablation;
- `random`: uniform picks, averaged over `--seeds` random seeds;

refits the theme estimator (the shipped recipe) on start + picked units, and scores macro-F1 on the test
report. The threshold table is tuned once on the seeds (grouped cross-validation, as in training) and kept, so
every strategy is scored with the same thresholds. Prints a Markdown report (units labelled → macro-F1, and
the units each strategy needs to reach the F1 levels) and writes the plot (matplotlib).

    python benchmarks/active_learning.py --plot benchmarks/active_learning.png --output benchmarks/RESULTS.md

`--output` replaces only the section between the `active-learning` markers of that file (appending it when
absent), so the throughput report around it stays.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = [REPO / "training" / "data" / "seed_units.jsonl", REPO / "training" / "data" / "work_report_units.jsonl"]
WORK_REPORTS = ("guangming_newdistrict_2016_work_report.txt", "qinghai_2026_work_report.txt")
START, END = "<!-- active-learning:start -->", "<!-- active-learning:end -->"
DETAILS: dict = {}  # (pool, strategy, seed) → per round {"macro", "micro", "per_label"}


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_matrix():
    from policy_nlp.learn.examples import corpus_examples
    from policy_nlp.learn.labelled_data import read_corpus
    from policy_nlp.pipeline import THEMES, create_pipeline

    nlp = create_pipeline("char")
    component = nlp.get_pipe(THEMES)
    corpus = read_corpus(DATA)
    examples = corpus_examples(nlp, corpus, component.rules)
    X, Y, groups, labels = component.training_matrix(examples.values())
    return component, X, Y, np.asarray(groups), labels


def scores(model, X, Y, labels, thresholds: dict) -> dict:
    """macro-F1, micro-F1 and per-label F1 of the model on (X, Y), deciding by the fixed `thresholds`."""
    from policy_nlp.model.metrics import compute_metrics

    pred = model.predict_proba(X) >= np.asarray([thresholds[label] for label in labels])
    gold = [[l for j, l in enumerate(labels) if Y[i, j]] for i in range(len(Y))]
    got = [[l for j, l in enumerate(labels) if pred[i, j]] for i in range(len(pred))]
    m = compute_metrics(gold, got, labels)
    return {"macro": m["macro_f1"], "micro": m["micro_f1"],
            "per_label": {l: v["f1"] for l, v in m["per_label"].items()}}


def simulate(component, X, Y, groups, labels, pool_doc, test_doc, strategy, step, seed, thresholds, max_rounds):
    """[(units labelled from the pool, macro-F1 on the test report)] for one strategy and seed; the micro-F1
    and per-label F1 of each round go to `DETAILS[(pool_doc, strategy, seed)]`."""
    from policy_nlp.learn.suggest import select, margins
    from policy_nlp.model.features import COL

    start = np.flatnonzero(~np.isin(groups, WORK_REPORTS))
    pool = list(np.flatnonzero(groups == pool_doc))
    test = np.flatnonzero(groups == test_doc)
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    t = [thresholds[label] for label in labels]
    curve = []
    rounds = 0
    while True:
        rows = np.concatenate([start, np.asarray(picked, dtype=int)])
        model = component.make_estimator(labels).fit(X[rows], Y[rows])
        got = scores(model, X[test], Y[test], labels, thresholds)
        curve.append((len(picked), got["macro"]))
        DETAILS.setdefault((pool_doc, strategy, seed), []).append(got)
        if not pool or (max_rounds is not None and rounds >= max_rounds):
            return curve
        rounds += 1
        k = min(step, len(pool))
        if strategy == "random":
            chosen = [pool[i] for i in rng.choice(len(pool), size=k, replace=False)]
        else:
            m, _ = margins(model.predict_proba(X[pool]), t)
            texts = [str(X[i, COL["text"]]) for i in pool]
            sections = [str(X[i, COL["section_path"]]) for i in pool]
            reports = [str(groups[i]) for i in pool]
            if strategy == "uncertainty":
                order = select(m, reports, sections, texts, k, report_penalty=0.0, section_penalty=0.0,
                               max_similarity=1.01)
            else:
                order = select(m, reports, sections, texts, k)
            chosen = [pool[i] for i in order]
            if len(chosen) < k:  # near-duplicates of picked units only: fill with the next lowest margins
                rest = [pool[i] for i in np.argsort(m, kind="stable") if pool[i] not in chosen]
                chosen += rest[:k - len(chosen)]
        picked += chosen
        chosen_set = set(chosen)
        pool = [i for i in pool if i not in chosen_set]


def units_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    for n, f1 in curve:
        if f1 >= target - 1e-12:
            return n
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--step", type=int, default=20, help="units added per round (default 20)")
    p.add_argument("--seeds", type=int, default=3, help="random seeds averaged for random picks (default 3)")
    p.add_argument("--max-rounds", type=int, default=None, help="stop after this many rounds (default: pool empty)")
    p.add_argument("--no-ablation", action="store_true", help="skip the uncertainty-only strategy")
    p.add_argument("--plot", type=Path, help="write the plot (PNG) here")
    p.add_argument("--output", type=Path, help="also write the report into this Markdown file's section")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    component, X, Y, groups, labels = load_matrix()
    start = np.flatnonzero(~np.isin(groups, WORK_REPORTS))
    say(f"{len(X)} labelled units; start {len(start)} (seeds), work reports "
        + ", ".join(f"{d} {int((groups == d).sum())}" for d in WORK_REPORTS))
    thresholds = component.make_estimator(labels).fit(X[start], Y[start], groups[start]).thresholds_
    say("thresholds tuned on the seeds: " + ", ".join(f"{k}={v:.3f}" for k, v in thresholds.items()))
    strategies = ["uncertainty+diversity"] + ([] if args.no_ablation else ["uncertainty"]) + ["random"]
    results: dict[tuple[str, str], list[list[tuple[int, float]]]] = {}
    for pool_doc, test_doc in (WORK_REPORTS, WORK_REPORTS[::-1]):
        for strategy in strategies:
            runs = []
            for seed in range(args.seeds if strategy == "random" else 1):
                runs.append(simulate(component, X, Y, groups, labels, pool_doc, test_doc, strategy, args.step, seed,
                                     thresholds, args.max_rounds))
                say(f"pool {pool_doc[:9]} {strategy} seed {seed}: final F1 {runs[-1][-1][1]:.3f} "
                    f"({time.perf_counter() - t0:.0f} s)")
            results[(pool_doc, strategy)] = runs
    report = format_report(results, strategies, thresholds, args, len(start), time.perf_counter() - t0)
    print(report)
    if args.plot:
        plot(results, strategies, args.plot)
        say(f"plot written to {args.plot}")
    if args.output:
        write_section(args.output, report)
        say(f"report written into {args.output}")
    return 0


def mean_curve(runs):
    """xs, mean and standard deviation of the macro-F1 curves of several runs."""
    xs = [n for n, _ in runs[0]]
    ys = np.asarray([[f for _, f in r] for r in runs])
    return xs, ys.mean(axis=0), ys.std(axis=0)


def format_report(results, strategies, thresholds, args, n_start, seconds) -> str:
    lines = [START, "## Which units to label next: uncertainty + diversity vs random", "",
             f"`python benchmarks/active_learning.py` (step {args.step} units per round, random averaged over "
             f"{args.seeds} seeds, {seconds / 60:.1f} min on this machine). Start: the {n_start} labelled units of the "
             "five seed reports; pool: the units of one labelled work report; test: the other work report (both "
             "directions). Thresholds tuned once on the seeds and kept: "
             + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items()) + ". Plot: `benchmarks/active_learning.png`.",
             ""]
    pools = list(dict.fromkeys(p for p, _ in results))
    for pool in pools:
        test = [d for d in WORK_REPORTS if d != pool][0]
        lines += [f"### pool `{pool}`, test `{test}`: macro-F1 by units labelled", ""]
        curves = {s: mean_curve(results[(pool, s)]) for s in strategies}
        xs = curves[strategies[0]][0]
        lines.append("| units labelled | " + " | ".join(strategies) + " |")
        lines.append("|---:|" + "---:|" * len(strategies))
        for k, n in enumerate(xs):
            cells = []
            for s in strategies:
                _, mean, std = curves[s]
                cells.append(f"{mean[k]:.3f}" + (f" ± {std[k]:.3f}" if s == "random" else ""))
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        full = curves[strategies[0]][1][-1]
        lines += ["", f"Units needed to reach a macro-F1 (all {xs[-1]} pool units: {full:.3f}); random: the mean "
                      "curve:", "",
                  "| target macro-F1 | " + " | ".join(strategies) + " |", "|---:|" + "---:|" * len(strategies)]
        start_f1 = curves[strategies[0]][1][0]
        for frac in (0.5, 0.75, 0.9, 1.0):
            target = start_f1 + frac * (full - start_f1)
            cells = []
            for s in strategies:
                xs_s, mean, _ = curves[s]
                got = units_to_reach(list(zip(xs_s, mean)), target)
                cells.append("not reached" if got is None else str(got))
            lines.append(f"| {target:.3f} ({frac:.0%} of the gain) | " + " | ".join(cells) + " |")
        aucs = {s: float(np.mean(curves[s][1])) for s in strategies}
        micro = {s: float(np.mean([[r["micro"] for r in DETAILS[k]] for k in DETAILS if k[:2] == (pool, s)]))
                 for s in strategies}
        first = DETAILS[(pool, strategies[0], 0)]
        lines += ["", "Mean macro-F1 over the curve: " + ", ".join(f"{s} {v:.3f}" for s, v in aucs.items())
                  + "; mean micro-F1 over the curve: " + ", ".join(f"{s} {v:.3f}" for s, v in micro.items()) + ".",
                  "", "Per-label F1 on the test report, seeds only → all pool units: "
                  + ", ".join(f"{l} {_f(first[0]['per_label'][l])} → {_f(first[-1]['per_label'][l])}"
                              for l in first[0]["per_label"]) + ".", ""]
    lines.append(END)
    return "\n".join(lines)


def _f(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def plot(results, strategies, path: Path) -> None:
    """Macro-F1 (top) and micro-F1 (bottom) against units labelled, one column per pool → test direction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pools = list(dict.fromkeys(p for p, _ in results))
    fig, axes = plt.subplots(2, len(pools), figsize=(6 * len(pools), 7.5), squeeze=False)
    style = {"uncertainty+diversity": ("tab:blue", "-o"), "uncertainty": ("tab:orange", "--s"),
             "random": ("tab:gray", "-^")}
    for col, pool in enumerate(pools):
        test = [d for d in WORK_REPORTS if d != pool][0]
        for row, metric in enumerate(("macro", "micro")):
            ax = axes[row][col]
            for s in strategies:
                runs = [[r[metric] for r in DETAILS[k]] for k in sorted(DETAILS) if k[:2] == (pool, s)]
                xs = [n for n, _ in results[(pool, s)][0]]
                ys = np.asarray(runs)
                mean, std = ys.mean(axis=0), ys.std(axis=0)
                color, fmt = style.get(s, ("k", "-"))
                ax.plot(xs, mean, fmt, color=color, markersize=3,
                        label=s + (f" (mean of {len(runs)})" if s == "random" else ""))
                if s == "random":
                    ax.fill_between(xs, mean - std, mean + std, color=color, alpha=0.2)
            ax.set_xlabel(f"units labelled from {pool.split('_')[0]} (added to the seeds)")
            ax.set_ylabel(f"{metric}-F1 on {test.split('_')[0]}")
            ax.set_title(f"pool {pool.split('_')[0]} → test {test.split('_')[0]}: {metric}-F1", fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_section(path: Path, report: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        new = old[:old.index(START)] + report + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + report + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
