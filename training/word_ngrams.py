"""Experiment: a TF-IDF block of word 1–2-grams next to the theme estimator's features, with and without.

    OMP_NUM_THREADS=1 python training/word_ngrams.py [--segmenter pkuseg|lexicon] [--weight 1.0] [--output FILE]

The theme estimator sees character 1–3-grams of a unit's text (units and features work on characters, so
the segmenter does not change the labels). This script measures what words would add: a subclass of
`ThemeEstimator` whose feature union (`_features`) gets one more block, `words`, a `TfidfVectorizer`
(sublinear tf, word 1–2-grams) over the unit's text cut into words, in both label groups, weighted `--weight`.
Nothing in the package changes; the block is composed here.

Segmenters: `pkuseg` (the cached pkuseg `default` model the pipeline uses; no download — where it is not
cached, use `lexicon`) or `lexicon`, a cheap one: forward maximum matching over the rules' term lists (the
guide's phrases are the dictionary), every other character a word of its own.

For each of "without" (the shipped recipe) and "with": leave-one-document-out over the fully labelled
reports and a model trained on all default data scored on the two held-out reports
(`rules_figures.figures`). Prints per-label tables; `--output` writes the figures as JSON.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules_figures import figures, table  # noqa: E402

from policy_nlp.model.estimator import ThemeEstimator  # noqa: E402
from policy_nlp.model.features import COL, canonical  # noqa: E402
from policy_nlp.pipeline import THEMES, create_pipeline  # noqa: E402
from policy_nlp.rules import default_rules  # noqa: E402

SETTINGS = {"segmenter": "lexicon", "weight": 1.0}
_MAX_TERM = 12


@lru_cache(maxsize=1)
def _pkuseg():
    import spacy_pkuseg

    from policy_nlp.components.pkuseg_model import resolve

    return spacy_pkuseg.pkuseg(resolve("default", allow_download=False))


@lru_cache(maxsize=1)
def _dictionary() -> frozenset:
    return frozenset(t for terms in default_rules().lexicon.values() for t in terms if len(t) <= _MAX_TERM)


def lexicon_cut(text: str) -> list[str]:
    """Forward maximum matching over the rules' term lists; other characters one by one."""
    words, i, terms = [], 0, _dictionary()
    while i < len(text):
        n = next((n for n in range(min(_MAX_TERM, len(text) - i), 1, -1) if text[i:i + n] in terms), 1)
        words.append(text[i:i + n])
        i += n
    return words


@lru_cache(maxsize=None)
def words_of(text: str) -> tuple[str, ...]:
    """The unit's words (numbers folded, white space removed, as for the character n-grams)."""
    text = canonical(text)
    cut = _pkuseg().cut(text) if SETTINGS["segmenter"] == "pkuseg" else lexicon_cut(text)
    return tuple(w for w in cut if w.strip())


def word_ngrams(text: str) -> list[str]:
    """Word 1- and 2-grams of a unit's text."""
    words = words_of(text)
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:])]


class WordNgramEstimator(ThemeEstimator):
    """The theme estimator with a `words` block (word 1–2-grams) added to each label group's features."""

    def _features(self, blocks, lead_weight: float = 1.0):
        union = super()._features(blocks, lead_weight)
        words = TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True, min_df=self.min_df, dtype=np.float32)
        union.transformers.append(("words", words, COL["text"]))
        union.transformer_weights = {**(union.transformer_weights or {}), "words": SETTINGS["weight"]}
        return union


def word_pipeline():
    """A blank `char` pipeline whose themes component builds `WordNgramEstimator`s."""
    nlp = create_pipeline("char")
    themes = nlp.get_pipe(THEMES)
    themes.make_estimator = lambda labels: WordNgramEstimator(labels=list(labels), rules=themes.rules.to_dict(),
                                                              **dict(themes.hyperparameters))
    return nlp


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segmenter", choices=("pkuseg", "lexicon"), default="pkuseg")
    parser.add_argument("--weight", type=float, default=1.0, help="weight of the word block in the feature union")
    parser.add_argument("--skip-without", action="store_true", help="measure only with the word block")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    SETTINGS.update(segmenter=args.segmenter, weight=args.weight)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    results = {}
    if not args.skip_without:
        say("without the word block")
        results["without"] = figures(lambda: create_pipeline("char"), say=say, n_jobs=1)
    say(f"with word 1-2-grams ({args.segmenter}, weight {args.weight})")
    results["with"] = figures(word_pipeline, say=say, n_jobs=1)  # in this process: the word cache is shared
    for part, title in (("lodo", "leave-one-document-out"), ("heldout", "held-out reports")):
        print(f"\n{title}\n\n" + table({f"policy_nlp, {k} word n-grams": r[part] for k, r in results.items()}))
    if args.output:
        args.output.write_text(json.dumps({"settings": SETTINGS, **results}, ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
