"""Why a unit got its scores: the linear model's evidence, feature by feature.

Each label's uncalibrated score is `sigmoid(logit)` (the score shown is that through the label's calibration
map, `model.calibration`) with `logit = intercept + Σ coef_j · x_j`, where `x` is the unit's row
of the label group's `ColumnTransformer` (block weights applied) and `coef` the label's `LogisticRegression`
coefficients. `explain_rows` returns, per unit and label, the `top` features with the largest |coef_j · x_j|,
each named in words a reviewer can check, plus the intercept and the sum of all other features (`rest`), so
that `intercept + Σ contributions + rest == logit` exactly (up to floating point).

Feature kinds (`kind` in the output):
- `text_ngram`: a character n-gram of the unit's normalised text (numbers folded to 0, white space removed);
- `term_list`: a count of a label guide term list in the unit (`terms[...]`), its paragraph lead
  (`lead_terms[...]`) or its section heading (`section_terms[...]`); `source` names the list in
  `training/LABELS.md` and `terms` lists the list's terms that occur in that text;
- `cue`: a rule cue of what the unit says (part-cue wording, future wording, heading flags, length);
- `section_ngram`: a character n-gram of the unit's innermost section heading (`无` when outside any section);
- `section_cue`: a cue of the part its headings open or a paragraph lead opened;
- `position`: where the unit sits in the report (its relative position, last quarter).
"""
from __future__ import annotations

import math
import re

import numpy as np

from ..rules import ReportRules
from .features import COL
from .scoring import feature_matrices

DEFAULT_TOP = 8
GUIDE = "LABELS.md"
_BRACKET = re.compile(r"^(\w+)\[(.+)\]$")
_POSITION = {"position", "last_quarter"}
_WHERE = {"terms": "the unit", "lead_terms": "the paragraph lead", "section_terms": "the section heading"}
_COLUMN = {"the unit": COL["text"], "the paragraph lead": COL["lead"], "the section heading": COL["section"]}


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def describe(name: str) -> dict:
    """A `ColumnTransformer` feature name (`block__feature`) → {kind, name, source?, list?, where?}."""
    block, _, feat = name.partition("__")
    if block == "text":
        return {"kind": "text_ngram", "name": feat, "source": "n-gram of the unit's text"}
    if block == "section":
        return {"kind": "section_ngram", "name": feat, "source": "n-gram of the section heading"}
    m = _BRACKET.match(feat)
    if m and m.group(1) in _WHERE:
        what, label = m.groups()
        return {"kind": "term_list", "name": feat, "list": label, "where": _WHERE[what],
                "source": f"{GUIDE} term list: {label}"}
    if block == "position" and feat in _POSITION:
        return {"kind": "position", "name": feat, "source": "position in the report"}
    if block == "position":
        return {"kind": "section_cue", "name": feat, "source": "part cue of the section headings or paragraph lead"}
    return {"kind": "cue", "name": feat, "source": "rule cue of the unit's wording"}


def _group_parts(estimator):
    """Per label index: (pipeline, position of the label's classifier in the group, feature names)."""
    out = {}
    for name, idx, _ in estimator.groups():
        pipe = estimator.pipelines_[name]
        names = pipe.named_steps["features"].get_feature_names_out()
        for k, j in enumerate(idx):
            out[j] = (name, k, names)
    return out


def _classifier(pipe, k: int):
    """The binary classifier of the k-th label of a group's one-vs-rest step."""
    ovr = pipe.named_steps["classifier"]
    return ovr.estimators_[k] if len(ovr.estimators_) > k else ovr.estimators_[0]


def matched_terms(rules: ReportRules, label: str, text: str) -> list[str]:
    """The terms of the guide's term list `label` that occur in `text`, in list order."""
    return [t for t in rules.lexicon.get(label, ()) if t in text]


def explain_rows(estimator, X, *, top: int = DEFAULT_TOP, rules: ReportRules | None = None,
                 matrices: dict | None = None) -> list[dict]:
    """For each context row of `X` (`features.build_contexts`): {label: explanation}. `matrices`: the label
    groups' feature matrices of those rows, if already computed (`scoring.feature_matrices`).

    An explanation is {"logit", "intercept", "rest", "threshold_logit", "features": [{kind, name, source,
    value, weight, contribution, terms?}, ...]}; `features` are the `top` largest |contributions| (ties by
    name), strongest first; `rest` sums the others; `intercept + Σ contribution + rest == logit`.
    `threshold_logit` is the logit of the uncalibrated probability at which the calibrated score reaches the
    label's threshold (`ThemeEstimator.raw_thresholds`): the label is decided when `logit >= threshold_logit`.
    """
    X = np.asarray(X, dtype=object)
    n = len(X)
    out: list[dict] = [{} for _ in range(n)]
    if not n:
        return out
    if rules is None:
        from ..rules import default_rules

        rules = ReportRules.from_dict(estimator.rules, "model") if estimator.rules else default_rules()
    labels = list(estimator.labels)
    parts = _group_parts(estimator)
    import scipy.sparse as sp

    if matrices is None:
        matrices = feature_matrices(estimator, X)
    matrices = {name: sp.csr_matrix(m) for name, m in matrices.items()}
    descriptions: dict[str, dict] = {}
    raw_thresholds = estimator.raw_thresholds()  # the logit is of the uncalibrated probability
    for j, label in enumerate(labels):
        group, k, names = parts[j]
        pipe = estimator.pipelines_[group]
        clf = _classifier(pipe, k)
        M = matrices[group]
        t_logit = _logit(raw_thresholds[label])
        if not hasattr(clf, "coef_"):  # a label constant in the training data: a constant score
            const = float(np.ravel(clf.decision_function(M[:1]))[0]) if hasattr(clf, "decision_function") else 0.0
            for i in range(n):
                out[i][label] = {"logit": const, "intercept": const, "rest": 0.0, "threshold_logit": t_logit,
                                 "features": []}
            continue
        coef = np.asarray(clf.coef_, dtype=np.float64).ravel()
        intercept = float(np.ravel(clf.intercept_)[0])
        for i in range(n):
            row = M.getrow(i)
            cols, vals = row.indices, row.data.astype(np.float64)
            contrib = coef[cols] * vals
            total = float(contrib.sum())
            order = sorted(range(len(cols)), key=lambda q: (-abs(contrib[q]), names[cols[q]]))[:max(top, 0)]
            feats = []
            for q in order:
                fname = str(names[cols[q]])
                desc = descriptions.get(fname)
                if desc is None:
                    desc = descriptions[fname] = describe(fname)
                item = dict(desc)
                item.update({"value": round(float(vals[q]), 6), "weight": round(float(coef[cols[q]]), 6),
                             "contribution": float(contrib[q])})
                if desc["kind"] == "term_list":
                    text = str(X[i, _COLUMN[desc["where"]]] or "")
                    item["terms"] = matched_terms(rules, desc["list"], text)
                feats.append(item)
            shown = float(sum(f["contribution"] for f in feats))
            out[i][label] = {"logit": intercept + total, "intercept": intercept, "rest": total - shown,
                             "threshold_logit": t_logit, "features": feats}
    return out


def summed(explanation: dict) -> float:
    """intercept + the shown contributions + rest: equals the explanation's logit."""
    return explanation["intercept"] + sum(f["contribution"] for f in explanation["features"]) + explanation["rest"]
