"""The multi-label theme estimator, built from scikit-learn parts.

`ThemeEstimator` is a standard scikit-learn estimator (`get_params`, `set_params`, `clone` work): context
rows from `features.build_contexts` → two `Pipeline`s of a `ColumnTransformer` and a one-vs-rest
`LogisticRegression`: topic labels (what a unit is about) see what the unit and its paragraph say (text
n-grams, content cues); report-part labels (`shortcomings`, `plans`: what the unit does in the report) also
see where it sits (section-heading n-grams, position cues). Its decision thresholds are one table,
`thresholds_` (label → probability), owned by the fitted estimator and chosen by `thresholds.tune` on
out-of-fold probabilities of the training documents only. Every random state is fixed.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from .features import (COL, CONTENT_COLUMNS, POSITION_COLUMNS, CapScaler, ContentCues, PositionCues, canonical,
                       section_text)

PART_LABELS = ("shortcomings", "plans")
DEFAULT_THRESHOLD = 0.5
RANDOM_STATE = 0
TOPIC_BLOCKS = ("text", "content")
ALL_BLOCKS = ("text", "content", "section", "position")


class ThemeEstimator(ClassifierMixin, BaseEstimator):
    """Context rows → per-label probabilities; `predict` applies the per-label threshold table.

    Parameters (all JSON-safe, recorded in the pipeline config and meta.json): `labels`, `part_labels`,
    `rules` (the term lists and part cues as a rules JSON dict; None = the packaged default at fit time),
    `text_ngrams`, `section_ngrams`, `section_weight`, `cue_weight`, `min_df`, `C`, `class_weight`,
    `max_iter`, `random_state`, `lead_weight` (weight of the paragraph lead's cues for the topic labels; a unit's
    topics are what it says itself, its part may come from its paragraph), `blocks` (feature blocks of the part labels; topic labels always see
    `text`+`content` of them), `thresholds` (a fixed table; None = 0.5 until `thresholds.tune` sets it).
    """

    def __init__(self, labels: Sequence[str] = (), part_labels: Sequence[str] = PART_LABELS,
                 rules: dict | None = None, text_ngrams: Sequence[int] = (1, 3),
                 section_ngrams: Sequence[int] = (1, 2), section_weight: float = 0.6, cue_weight: float = 1.0,
                 min_df: int = 1, C: float = 4.0, class_weight: str | None = "balanced", max_iter: int = 2000,
                 random_state: int = RANDOM_STATE, blocks: Sequence[str] = ALL_BLOCKS, lead_weight: float = 1.0,
                 thresholds: dict | None = None):
        self.labels = labels
        self.part_labels = part_labels
        self.rules = rules
        self.text_ngrams = text_ngrams
        self.section_ngrams = section_ngrams
        self.section_weight = section_weight
        self.cue_weight = cue_weight
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state
        self.blocks = blocks
        self.lead_weight = lead_weight
        self.thresholds = thresholds

    # Parameters added after a model was saved take the value that reproduces how it was trained.
    _LATER_PARAMS = {"lead_weight": 1.0}

    def __setstate__(self, state):
        for name, value in self._LATER_PARAMS.items():
            state.setdefault(name, value)
        super().__setstate__(state)

    # -- building ---------------------------------------------------------------------------------------------
    def _features(self, blocks: Sequence[str], lead_weight: float = 1.0) -> ColumnTransformer:
        parts = {
            "text": (TfidfVectorizer(analyzer="char", ngram_range=tuple(self.text_ngrams), sublinear_tf=True,
                                     min_df=self.min_df, preprocessor=canonical, dtype=np.float32), COL["text"]),
            "content": (Pipeline([("cues", ContentCues(self.rules, lead_weight)), ("scale", CapScaler())]), CONTENT_COLUMNS),
            "section": (TfidfVectorizer(analyzer="char", ngram_range=tuple(self.section_ngrams), sublinear_tf=True,
                                        min_df=self.min_df, preprocessor=section_text, dtype=np.float32),
                        COL["section"]),
            "position": (Pipeline([("cues", PositionCues(self.rules)), ("scale", CapScaler())]),
                         POSITION_COLUMNS),
        }
        weights = {"content": self.cue_weight, "section": self.section_weight, "position": self.cue_weight}
        return ColumnTransformer([(name, *parts[name]) for name in blocks],
                                 transformer_weights={b: weights[b] for b in blocks if b in weights},
                                 sparse_threshold=1.0)

    def _pipeline(self, blocks: Sequence[str], lead_weight: float = 1.0) -> Pipeline:
        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                 max_iter=self.max_iter, random_state=self.random_state)
        return Pipeline([("features", self._features(blocks, lead_weight)),
                         ("classifier", OneVsRestClassifier(clf))])

    def groups(self) -> list[tuple[str, list[int], tuple[str, ...]]]:
        """(name, label indices, feature blocks) of the label groups that share one pipeline."""
        labels = list(self.labels)
        part = [j for j, label in enumerate(labels) if label in self.part_labels]
        topic = [j for j, label in enumerate(labels) if label not in self.part_labels]
        topic_blocks = tuple(b for b in self.blocks if b in TOPIC_BLOCKS) or TOPIC_BLOCKS
        out = []
        if topic:
            out.append(("topic", topic, topic_blocks))
        if part:
            out.append(("part", part, tuple(self.blocks)))
        return out

    # -- fitting and prediction -------------------------------------------------------------------------------
    def fit(self, X, Y):
        """X: context rows (`features.build_contexts`); Y: 0/1 matrix, one column per label in `labels`."""
        X = np.asarray(X, dtype=object)
        Y = np.asarray(Y, dtype=int).reshape(len(X), len(self.labels))
        self.classes_ = np.asarray(list(self.labels), dtype=object)
        self.pipelines_ = {}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
            for name, idx, blocks in self.groups():
                y = Y[:, idx] if len(idx) > 1 else Y[:, idx[0]]
                lead_weight = self.lead_weight if name == "topic" else 1.0
                self.pipelines_[name] = self._pipeline(blocks, lead_weight).fit(X, y)
        self.thresholds_ = {label: float((self.thresholds or {}).get(label, DEFAULT_THRESHOLD))
                            for label in self.labels}
        return self

    def _per_group(self, X, method: str) -> np.ndarray:
        X = np.asarray(X, dtype=object)
        out = np.zeros((len(X), len(self.labels)), dtype=float)
        if not len(X):
            return out
        for name, idx, _ in self.groups():
            pipe = self.pipelines_[name]
            got = getattr(pipe, method)(X)
            if len(idx) == 1:  # one binary classifier: its output for the positive class
                classes = list(pipe.classes_)
                if got.ndim == 2:
                    got = got[:, classes.index(1)] if 1 in classes else np.zeros(len(X))
                got = got.reshape(-1, 1)
            out[:, idx] = got
        return out

    def predict_proba(self, X) -> np.ndarray:
        """Probability per unit and label, shape (units, labels)."""
        return self._per_group(X, "predict_proba")

    def decision_function(self, X) -> np.ndarray:
        """The linear models' logits per unit and label (the probability is their sigmoid)."""
        return self._per_group(X, "decision_function")

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Boolean decisions from probabilities and the threshold table."""
        t = np.asarray([self.thresholds_[label] for label in self.labels])
        return np.asarray(proba) >= t

    def predict(self, X) -> np.ndarray:
        return self.decide(self.predict_proba(X)).astype(int)

    def with_thresholds(self, thresholds: dict[str, float]) -> "ThemeEstimator":
        """Set the threshold table of a fitted estimator (and the parameter, so `clone` keeps it)."""
        self.thresholds = {label: float(thresholds[label]) for label in self.labels}
        self.thresholds_ = dict(self.thresholds)
        return self

    def hyperparameters(self) -> dict:
        """The parameters as JSON-safe values, the rules replaced by their name and fingerprint."""
        from ..rules import ReportRules, default_rules

        params = self.get_params()
        rules = ReportRules.from_dict(self.rules) if self.rules else default_rules()
        params["rules"] = {"name": rules.name, "sha256": rules.fingerprint}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}

    def clone_unfitted(self) -> "ThemeEstimator":
        return clone(self)
