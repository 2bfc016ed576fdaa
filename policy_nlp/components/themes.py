"""`policy_nlp_themes`: multi-label theme scores for every unit, from a scikit-learn estimator.

Reads: the unit table in `doc.spans[units_key]` (set by `policy_nlp_report_structure`) and `Doc._.norm_text`.
Writes:
- `doc.spans[units_key].attrs`: `labels` (the label order), `scores` (per unit, one probability per label;
  boilerplate units 0.0) and `decided` (per unit, one 0/1 per label);
- `doc.spans[themes_key]`: one span per (unit, label) decided, labelled with the theme;
- `doc.cats`: per label, the share of non-boilerplate units that carry it;
- with `explain_top` > 0 (config or `component_cfg`), `doc.spans[units_key].attrs["explanations"]`: per unit,
  why it got its scores (`model.explain.explain_rows`), None for boilerplate.

The estimator (`model.estimator.ThemeEstimator`: labels, hyperparameters, its own copy of the term lists,
and the threshold table) is built from the config's `hyperparameters` block (the registered
`policy_nlp.theme_estimator.v1`) and trained by `initialize` — the same path `policy-nlp train` takes — or read by
`from_disk`/`from_bytes`. The component's directory holds `model.pkl` (read back through an allow-listing
unpickler: no code runs from it) and `cfg.json` (the model file's SHA-256, library versions, labels and
hyperparameters, all checked against the model file on load).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Union

import numpy as np
import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch, registry

from .. import jsonio
from ..errors import ModelError
from ..model.estimator import DEFAULT_HYPERPARAMETERS, ThemeEstimator
from ..model.features import build_contexts, context_array, context_rows
from ..model.metrics import compute_metrics
from ..model.scoring import feature_matrices, probabilities
from ..rules import DEFAULT_RULES_CONFIG, ReportRules
from ..version import library_versions
from .unit_table import THEMES_KEY, UNITS_KEY, part_label_cells, register_keys, unit_spans_and_columns, units_of_doc

MODEL_FILE = "model.pkl"
CFG_FILE = "cfg.json"
FORMAT = 2


ESTIMATOR = "policy_nlp.theme_estimator.v1"


@dataclass(frozen=True)
class EstimatorRecipe:
    """How the component builds its unfitted estimator: `recipe(labels, rules)` → `ThemeEstimator` with these
    hyperparameters (JSON-safe; the `hyperparameters` block of the component's config)."""

    hyperparameters: dict

    def __call__(self, labels: Sequence[str], rules: dict | None) -> ThemeEstimator:
        return ThemeEstimator(labels=list(labels), rules=rules, **self.hyperparameters)


@registry.misc(ESTIMATOR)
def make_theme_estimator(C: float, text_ngrams: List[int], section_ngrams: List[int], section_weight: float,
                         cue_weight: float, lead_weight: float, min_df: int, class_weight: Optional[str],
                         max_iter: int, random_state: int, part_labels: List[str], blocks: List[str],
                         calibration: Optional[str] = None) -> EstimatorRecipe:
    """The theme estimator's hyperparameters, typed and checked by the config system (defaults:
    `DEFAULT_HYPERPARAMETERS`, see `model.estimator.ThemeEstimator` for what each does)."""
    return EstimatorRecipe({"C": C, "text_ngrams": list(text_ngrams), "section_ngrams": list(section_ngrams),
                            "section_weight": section_weight, "cue_weight": cue_weight, "lead_weight": lead_weight,
                            "min_df": min_df, "class_weight": class_weight, "max_iter": max_iter,
                            "random_state": random_state, "part_labels": list(part_labels),
                            "blocks": list(blocks), "calibration": calibration})


def estimator_config(hyperparameters: dict | None = None) -> dict:
    """The component's `hyperparameters` config block: the registered recipe with `hyperparameters` over the
    defaults."""
    return {"@misc": ESTIMATOR, **DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})}


class DocScores(NamedTuple):
    """What `ThemeClassifier.predict` returns per doc: the indices of its content units in the unit group,
    their context rows (`features.context_rows`, the batch's stacked by `context_array`), their probabilities
    (rows × labels), each label group's feature matrix of the whole batch (`model.scoring.feature_matrices`),
    the doc's `rows` of it and the unit group's spans (read once; copies, which `_theme_group` relabels into
    the theme spans)."""

    content: list[int]
    contexts: np.ndarray
    proba: np.ndarray
    batch_features: dict
    rows: slice
    units: list

    @property
    def features(self) -> dict:
        """Each label group's feature matrix of this doc's rows, which the explanations read (cut on demand:
        most docs are scored without explanations)."""
        return {g: m[self.rows] for g, m in self.batch_features.items()}


@registry.scorers("policy_nlp.themes_scorer.v1")
def make_themes_scorer():
    return score_themes


def align_spans(gold: Sequence[tuple[int, int]], predicted: Sequence[tuple[int, int]]) -> list[int | None]:
    """For each gold (start, end), the index of the predicted (start, end) — sorted, not overlapping — that
    overlaps it most in characters (None if none; a tie goes to the earlier). A predicted unit spanning two
    gold units is aligned to both; a gold unit split in two gets its larger part. The one alignment of
    `score_themes` (`nlp.evaluate`, which `policy-nlp evaluate` calls) and `learn.invariance`."""
    import bisect

    starts = [p[0] for p in predicted]
    out: list[int | None] = []
    for gs, ge in gold:
        i = max(bisect.bisect_right(starts, gs) - 1, 0)
        best, best_overlap = None, 0
        while i < len(predicted) and predicted[i][0] < ge:
            overlap = min(ge, predicted[i][1]) - max(gs, predicted[i][0])
            if overlap > best_overlap:
                best, best_overlap = i, overlap
            i += 1
        out.append(best)
    return out


def doc_unit_labels(doc: Doc, units_key: str, themes_key: str, labelled_only: bool = False
                    ) -> list[tuple[int, int, list[str], dict[str, float]]]:
    """(start_char, end_char, themes, scores) of each unit of `doc` (scores: label → probability, {} when the
    doc carries none); with `labelled_only`, of the units its group's `labelled` attr marks (all, if absent: a
    reference doc's context units carry no labels to score)."""
    themes: dict[tuple[int, int], list[str]] = {}
    for span in doc.spans.get(themes_key, []):
        themes.setdefault((span.start, span.end), []).append(span.label_)
    group = doc.spans.get(units_key, [])
    attrs = group.attrs if len(group) else {}
    flags = (attrs.get("labelled") if labelled_only else None) or [True] * len(group)
    scores = attrs.get("scores") or [()] * len(group)
    names = attrs.get("labels", [])
    return [(u.start_char, u.end_char, themes.get((u.start, u.end), []), dict(zip(names, row)))
            for u, flag, row in zip(group, flags, scores) if flag]


def paired_units(eg, units_key: str = UNITS_KEY, themes_key: str = THEMES_KEY) -> list[dict]:
    """Per labelled reference unit of Example `eg`: its document (the reference's `doc_id`), start, end, gold
    themes, and the themes and scores of the predicted unit `align_spans` pairs it with ([] and {} if none)."""
    doc = eg.reference.user_data.get(("policy_nlp", "doc_id"), "")
    gold = doc_unit_labels(eg.reference, units_key, themes_key, labelled_only=True)
    pred = doc_unit_labels(eg.predicted, units_key, themes_key)
    paired = align_spans([g[:2] for g in gold], [p[:2] for p in pred])
    return [{"doc": doc, "start": g[0], "end": g[1], "gold": g[2], "predicted": pred[i][2] if i is not None else [],
             "scores": pred[i][3] if i is not None else {}} for g, i in zip(gold, paired)]


def themes_metrics(examples, units_key: str = UNITS_KEY, themes_key: str = THEMES_KEY, labels=None) -> dict:
    """`model.metrics.compute_metrics` of the labelled reference units' themes against those of the predicted
    unit `align_spans` pairs each with, with `predictions` (`paired_units` of every Example) and
    `per_document` (each reference `doc_id`'s own metrics, in Example order)."""
    per_doc = {}
    for k, eg in enumerate(examples):
        per_doc.setdefault(eg.reference.user_data.get(("policy_nlp", "doc_id"), str(k)), []).append(
            paired_units(eg, units_key, themes_key))
    rows = [r for parts in per_doc.values() for part in parts for r in part]
    labels = list(labels) if labels else sorted({x for r in rows for x in r["gold"] + r["predicted"]})

    def metrics(rs: list[dict]) -> dict:
        return compute_metrics([r["gold"] for r in rs], [r["predicted"] for r in rs], labels)

    return {**metrics(rows), "predictions": rows,
            "per_document": {doc: metrics([r for part in parts for r in part]) for doc, parts in per_doc.items()}}


def score_themes(examples, units_key: str = UNITS_KEY, themes_key: str = THEMES_KEY, labels=None, **kwargs) -> dict:
    """spaCy's view of `themes_metrics`: `themes_p`, `themes_r`, `themes_macro_f`, `themes_micro_f` and
    `themes_per_type` (per label p, r, f); for the evaluation report also `themes_per_label` (per label
    precision, recall, f1 — None for a label neither gold nor predicted —, support, tp, fp, fn),
    `themes_exact_set`, `themes_units`, `themes_confused`, `themes_per_document` and `themes_predictions`
    (`themes_metrics`). `labels`: the labels scored (default: those seen; `nlp.evaluate(...,
    scorer_cfg={"labels": [...]})`)."""
    m = themes_metrics(examples, units_key, themes_key, labels)
    micro_tp = sum(v["tp"] for v in m["per_label"].values())
    micro_fp = sum(v["fp"] for v in m["per_label"].values())
    micro_fn = sum(v["fn"] for v in m["per_label"].values())
    return {
        "themes_p": micro_tp / (micro_tp + micro_fp) if micro_tp + micro_fp else 0.0,
        "themes_r": micro_tp / (micro_tp + micro_fn) if micro_tp + micro_fn else 0.0,
        "themes_micro_f": m["micro_f1"], "themes_macro_f": m["macro_f1"],
        "themes_per_type": {label: {"p": v["precision"], "r": v["recall"], "f": v["f1"] or 0.0}
                            for label, v in m["per_label"].items()},
        "themes_per_label": m["per_label"], "themes_exact_set": m["exact_set_accuracy"], "themes_units": m["units"],
        "themes_confused": m["confused_pairs"], "themes_per_document": m["per_document"],
        "themes_predictions": m["predictions"],
    }


@Language.factory(
    "policy_nlp_themes",
    assigns=["doc.spans", "doc.cats"],
    requires=["doc.spans"],
    default_config={"units_key": UNITS_KEY, "themes_key": THEMES_KEY, "rules": DEFAULT_RULES_CONFIG,
                    "hyperparameters": estimator_config(), "explain_top": 0,
                    "scorer": {"@scorers": "policy_nlp.themes_scorer.v1"}},
    default_score_weights={"themes_macro_f": 1.0, "themes_micro_f": 0.0, "themes_p": None, "themes_r": None,
                           "themes_per_type": None},
)
def make_themes(nlp: Language, name: str, units_key: str, themes_key: str, rules: ReportRules,
                hyperparameters: Union[EstimatorRecipe, Dict[str, Any]], explain_top: int = 0, scorer=None):
    """`hyperparameters`: the estimator recipe (`policy_nlp.theme_estimator.v1`; a plain table, as pipelines
    saved before the recipe was registered have it, is read over the defaults). `explain_top` > 0: every doc
    scored also gets its explanations, with this many features per label (per call: `nlp(text,
    component_cfg={"policy_nlp_themes": {"explain_top": 8}})`, or the same in `nlp.pipe`)."""
    if not isinstance(hyperparameters, EstimatorRecipe):
        hyperparameters = make_theme_estimator(**{**DEFAULT_HYPERPARAMETERS, **hyperparameters})
    return ThemeClassifier(name, units_key=units_key, themes_key=themes_key, rules=rules,
                           estimator=hyperparameters, explain_top=explain_top, scorer=scorer)


def _minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def _same_settings(model_params: dict, recorded: Any) -> bool:
    """The recorded hyperparameters equal the model's (a parameter added to the estimator after the model was
    saved is absent from the record and takes its backward-compatible value)."""
    if not isinstance(recorded, dict):
        return False
    later = getattr(ThemeEstimator, "_LATER_PARAMS", {})
    recorded = {k: v for k, v in recorded.items() if k != "thresholds"}  # once a parameter, now `thresholds_`
    return all(model_params.get(k) == v for k, v in recorded.items()) and all(
        k in recorded or (k in later and model_params[k] == later[k]) for k in model_params)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _theme_group(doc: Doc, name: str, units: list[Span], unit_of: list[int], label_of: list[int],
                 ids: list[int]) -> SpanGroup:
    """The span group of one theme span per decided cell (`unit_of`[k], `label_of`[k]: unit order, then label
    order), labelled by string id (`ids`). `units` are the spans read from the unit group, copies of its
    entries: each is relabelled (its knowledge-base and span ids cleared, as a new `Span` has them) and
    appended, which copies its fields into the group. A new `Span` per cell costs five times as much:
    spaCy's constructor makes a `Token` for each end to find the character offsets the unit's copy already
    holds."""
    group = SpanGroup(doc, name=name)
    append = group.append
    for i, j in zip(unit_of, label_of):
        span = units[i]
        span.label, span.kb_id, span.id = ids[j], 0, 0
        append(span)
    return group


def _label_ids(docs: list[Doc], labels: list[str]) -> list[int]:
    """The labels' string ids, added to the string store of each distinct vocab of `docs` (a batch's docs
    share the pipeline's: one `strings.add` per label and batch, not per doc)."""
    ids: list[int] = []
    for vocab in {id(doc.vocab): doc.vocab for doc in docs}.values():
        ids = [vocab.strings.add(label) for label in labels]
    return ids


def _cells_per_doc(decided: np.ndarray, starts: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Per doc (its units `starts[k]` to `starts[k + 1]` of the stacked `decided`), the (unit, label) cells it
    decided, as a unit list (the doc's own indices) and a label list, unit order then label order: one
    `flatnonzero` for the batch."""
    unit_of, label_of = np.divmod(np.flatnonzero(decided), decided.shape[1])
    cut = np.searchsorted(unit_of, starts).tolist()
    unit_of, label_of = (unit_of - np.repeat(starts[:-1], np.diff(cut))).tolist(), label_of.tolist()
    return [(unit_of[a:b], label_of[a:b]) for a, b in zip(cut, cut[1:])]


class ThemeClassifier(Pipe):
    """The `policy_nlp_themes` component: see the module docstring for what it reads and writes.

    spaCy's pattern: `predict(docs)` scores the content units of a batch of docs with one estimator call,
    `set_annotations(docs, scores)` writes them; `__call__` is a batch of one, `pipe` takes `minibatch`es.
    `explain_top` > 0 (the factory setting, or per call through `component_cfg`) also writes each content
    unit's explanations, from the same context rows the scores came from."""

    def __init__(self, name: str = "policy_nlp_themes", *, units_key: str = UNITS_KEY, themes_key: str = THEMES_KEY,
                 rules: ReportRules | None = None, estimator: EstimatorRecipe | None = None, explain_top: int = 0,
                 scorer=None):
        from ..rules import default_rules

        self.name = name
        self.units_key = units_key
        self.themes_key = themes_key
        self.rules = rules if rules is not None else default_rules()
        self.estimator = estimator or make_theme_estimator(**DEFAULT_HYPERPARAMETERS)
        self.explain_top = explain_top
        self.cfg = {"units_key": units_key, "themes_key": themes_key}  # what `score` passes to the scorer
        self.scorer = scorer or score_themes
        self.model: ThemeEstimator | None = None

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.model.labels) if self.model is not None else ()

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.model.thresholds_) if self.model is not None else {}

    def set_model(self, model: ThemeEstimator) -> None:
        if not hasattr(model, "pipelines_"):
            raise ModelError("E001", name=self.name)
        self.model = model

    def make_estimator(self, labels) -> ThemeEstimator:
        """An unfitted estimator with this component's hyperparameters and rules."""
        return self.estimator(labels, self.rules.to_dict())

    @property
    def hyperparameters(self) -> dict:
        return dict(self.estimator.hyperparameters)

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp=None, labels=None,
                   tune_thresholds: bool = True, memory=None, n_jobs: int | None = None) -> None:
        """Train from Examples whose reference docs carry the unit table and one `themes` span per (unit,
        label); only units marked in the group's `labelled` attr (all, if absent) and not boilerplate are
        training rows. Thresholds are tuned on the training documents by grouped cross-validation.
        `memory`, `n_jobs`: see `ThemeEstimator.fit` (training memoises fits across nested loops)."""
        if get_examples is None:
            raise ModelError("E001", name=self.name)
        examples = list(get_examples())
        X, Y, groups, labels = self.training_matrix(examples, labels)
        if not len(X):
            raise ModelError("E016", name=self.name)
        self.model = self.make_estimator(labels).fit(X, Y, groups if tune_thresholds else None,
                                                     scored=self.fully_labelled(examples), memory=memory,
                                                     n_jobs=n_jobs)

    def fully_labelled(self, examples: Iterable) -> list[str]:
        """The documents of Examples whose content units are all labelled (thresholds are tuned on them)."""
        out = []
        for k, eg in enumerate(examples):
            group = eg.reference.spans.get(self.units_key)
            labelled = (group.attrs.get("labelled") or [True] * len(group)) if group is not None else []
            if all(flag or unit.label_ == "boilerplate" for flag, unit in zip(labelled, group or [])):
                out.append(eg.reference.user_data.get(("policy_nlp", "doc_id"), str(k)))
        return out

    def training_matrix(self, examples: Iterable, labels=None):
        """Context rows, 0/1 label matrix, document groups and label order of the labelled units of Examples."""
        rows, ys, groups = [], [], []
        examples = list(examples)
        if labels is None:
            found = {s.label_ for eg in examples for s in eg.reference.spans.get(self.themes_key, [])}
            labels = sorted(found)
        labels = list(labels)
        for k, eg in enumerate(examples):
            ref = eg.reference
            group = ref.spans.get(self.units_key)
            if group is None:
                raise ModelError("E002", name=self.name)
            table = units_of_doc(ref, self.units_key, self.rules)
            ctx = build_contexts(ref._.norm_text, table, self.rules)
            labelled = group.attrs.get("labelled") or [True] * len(group)
            doc_id = ref.user_data.get(("policy_nlp", "doc_id"), str(k))
            got = {(s.start, s.end): set() for s in group}
            for s in ref.spans.get(self.themes_key, []):
                got.setdefault((s.start, s.end), set()).add(s.label_)
            for i, unit in enumerate(group):
                if unit.label_ == "boilerplate" or not labelled[i]:
                    continue
                rows.append(ctx[i])
                ys.append([int(label in got[(unit.start, unit.end)]) for label in labels])
                groups.append(doc_id)
        X = np.asarray(rows, dtype=object).reshape(len(rows), ctx.shape[1] if rows else 0)
        return X, np.asarray(ys, dtype=int).reshape(len(ys), len(labels)), groups, labels

    # -- prediction ---------------------------------------------------------------------------------------------
    def _require_model(self) -> ThemeEstimator:
        if self.model is None:
            raise ModelError("E001", name=self.name)
        return self.model

    def _contexts(self, doc: Doc, rules: ReportRules):
        """(the unit group's spans, indices of the content units, their context rows as tuples)."""
        if self.units_key not in doc.spans:
            raise ModelError("E002", name=self.name)
        spans, table = unit_spans_and_columns(doc, self.units_key, rules)
        content = [i for i, kind in enumerate(table.kinds) if kind != "boilerplate"]  # the kinds: the labels
        rows = context_rows(doc._.norm_text, table, rules)
        return spans, content, [rows[i] for i in content]

    def _model_rules(self) -> ReportRules:
        """The rules the estimator was trained with (its own copy), compiled once."""
        model = self._require_model()
        cached = self.__dict__.get("_rules_cache")
        if cached is None or cached[0] is not model:
            rules = ReportRules.from_dict(model.rules, "model") if model.rules else self.rules
            cached = (model, rules)
            self.__dict__["_rules_cache"] = cached
        return cached[1]

    def predict(self, docs: Iterable[Doc]) -> list[DocScores]:
        """Per doc, its content units' context rows, feature matrices and probabilities: the rows of all docs are
        stacked and scored at once (`model.scoring`: each feature block computed once for the batch)."""
        model, rules = self._require_model(), self._model_rules()
        parts = [self._contexts(doc, rules) for doc in docs]
        stacked = context_array([row for _, _, rows in parts for row in rows])  # one array for the batch
        matrices = feature_matrices(model, stacked) if len(stacked) else {}
        proba = probabilities(model, matrices, len(stacked))
        out, k = [], 0
        for spans, content, rows in parts:
            rows_k = slice(k, k + len(rows))
            out.append(DocScores(content, stacked[rows_k], proba[rows_k], matrices, rows_k, spans))
            k += len(rows)
        return out

    def set_annotations(self, docs: Iterable[Doc], scores: list[DocScores], explain_top: int | None = None) -> None:
        """Write the scores `predict` returned; with `explain_top` > 0 (None: the component's setting) also the
        explanations of the same rows."""
        top = self.explain_top if explain_top is None else explain_top
        docs = list(docs)
        groups = [doc.spans[self.units_key] for doc in docs]
        labels = list(self.model.labels)
        ids = _label_ids(docs, labels)
        for doc, group, got, cells in zip(docs, groups, scores, self._decisions(groups, scores, labels)):
            self._write(doc, group, got, labels, ids, *cells)
            if top > 0:
                self._write_explanations(group, got, top)

    def _decisions(self, groups: list, scores: list[DocScores], labels: list[str]
                   ) -> Iterator[tuple[list, list, tuple, list]]:
        """Per doc, its units' rounded scores and 0/1 decisions (lists of rows), its decided cells
        (`_cells_per_doc`) and how many units carry each label: worked out on the batch's units stacked, doc
        after doc, so that each numpy step is one call per batch, not one per doc; each doc's lists are made
        as it is written. A boilerplate unit scores 0.0 and carries no label; every unit of a part the
        structure found carries its label. `labels`: the model's."""
        starts = np.cumsum([0] + [len(group) for group in groups])
        content = np.concatenate([np.zeros(0, dtype=np.intp)] + [
            np.asarray(got.content, dtype=np.intp) + start for got, start in zip(scores, starts.tolist())])
        full = np.zeros((starts[-1], len(labels)))
        if len(content):
            full[content] = np.concatenate([got.proba for got in scores])
        decided = self.model.decide(full)
        decided[part_label_cells(groups, labels, [len(group) for group in groups])] = True
        mask = np.zeros(len(full), dtype=bool)
        mask[content] = True
        decided &= mask[:, None]
        running = np.zeros((len(full) + 1, len(labels)), dtype=np.int64)
        np.cumsum(decided, axis=0, out=running[1:])
        counts = (running[starts[1:]] - running[starts[:-1]]).tolist()
        rounded, rows = np.round(full, 6), decided.astype(int)
        cells = _cells_per_doc(decided, starts)
        for a, b, n, doc_cells in zip(starts.tolist(), starts[1:].tolist(), counts, cells):
            yield rounded[a:b].tolist(), rows[a:b].tolist(), doc_cells, n

    def _write(self, doc: Doc, group, scores: DocScores, labels: list[str], ids: list[int], rounded: list,
               rows: list, cells: tuple[list[int], list[int]], counts: list[int]) -> None:
        """One doc's scores, decisions and theme spans (labelled by string id, `ids`: no string look-up) and
        its cats; `labels` (the model's) and `ids` are the batch's, worked out once."""
        group.attrs["labels"] = list(labels)
        group.attrs["scores"] = rounded
        group.attrs["decided"] = rows
        group.attrs.pop("explanations", None)  # those of earlier scores, if any
        doc.spans[self.themes_key] = _theme_group(doc, self.themes_key, scores.units, *cells, ids)
        n = max(len(scores.content), 1)
        doc.cats = {label: float(count) / n for label, count in zip(labels, counts)}
        register_keys(doc, units=self.units_key, themes=self.themes_key)

    def _write_explanations(self, group, scores: DocScores, top: int) -> None:
        from ..model.explain import explain_rows

        got = explain_rows(self._require_model(), scores.contexts, top=top, rules=self._model_rules(),
                           matrices=scores.features)
        out: list[dict | None] = [None] * len(group)
        for i, e in zip(scores.content, got):
            out[i] = e
        group.attrs["explanations"] = out

    def __call__(self, doc: Doc, explain_top: int | None = None) -> Doc:
        error_handler = self.get_error_handler()
        try:
            self.set_annotations([doc], self.predict([doc]), explain_top)
            return doc
        except Exception as exc:
            error_handler(self.name, self, [doc], exc)

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128, explain_top: int | None = None) -> Iterator[Doc]:
        """Score `minibatch`es of `batch_size` docs, one `predict` call each."""
        error_handler = self.get_error_handler()
        for docs in minibatch(stream, size=batch_size):
            try:
                self.set_annotations(docs, self.predict(docs), explain_top)
                yield from docs
            except Exception as exc:
                error_handler(self.name, self, docs, exc)

    @property
    def model_sha256(self) -> str:
        """SHA-256 of the model file this component writes (and, when loaded, was read from)."""
        model = self._require_model()
        cached = getattr(self, "_model_sha256", None)
        if cached is None or cached[0] is not model:
            from ..model.persistence import dump_estimator

            self._model_sha256 = cached = (model, _sha256(dump_estimator(model)))
        return cached[1]

    # -- serialisation -------------------------------------------------------------------------------------------
    def _cfg(self, model_bytes: bytes) -> dict:
        model = self._require_model()
        return {"format": FORMAT, "model_file": MODEL_FILE, "model_sha256": _sha256(model_bytes),
                "labels": list(model.labels), "thresholds": dict(model.thresholds_),
                "hyperparameters": model.hyperparameters(), "versions": library_versions()}

    def _serialise(self) -> tuple[bytes, dict]:
        from ..model.persistence import dump_estimator

        data = dump_estimator(self._require_model())
        return data, self._cfg(data)

    def _restore(self, cfg: Any, data: bytes, source: str) -> None:
        """Check `cfg` and the model bytes against each other, then read the estimator (no code runs)."""
        import sklearn

        from ..model.persistence import load_estimator

        required = ("format", "model_sha256", "labels", "thresholds", "hyperparameters", "versions")
        if not isinstance(cfg, dict) or any(k not in cfg for k in required) \
                or not isinstance(cfg.get("versions"), dict) or not cfg["versions"].get("scikit-learn"):
            raise ModelError("E015", path=source, detail=f"{CFG_FILE} lacks one of {', '.join(required)} "
                                                         "or the scikit-learn version")
        if cfg["format"] != FORMAT:
            raise ModelError("E015", path=source, detail=f"format {cfg['format']!r}, this version reads {FORMAT}")
        found = _sha256(data)
        if found != cfg["model_sha256"]:
            raise ModelError("E003", path=source, expected=cfg["model_sha256"], found=found)
        saved = cfg["versions"]["scikit-learn"]
        if _minor(saved) != _minor(sklearn.__version__):
            raise ModelError("E004", path=source, saved=saved, installed=sklearn.__version__)
        model = load_estimator(data, source)
        if not isinstance(model, ThemeEstimator) or not hasattr(model, "pipelines_"):
            raise ModelError("E014", path=source, detail="the file does not hold a fitted ThemeEstimator")
        if list(model.labels) != list(cfg["labels"]) or dict(model.thresholds_) != \
                {k: float(v) for k, v in cfg["thresholds"].items()} or \
                not _same_settings(model.hyperparameters(), cfg["hyperparameters"]):
            raise ModelError("E015", path=source, detail=f"its labels, thresholds or hyperparameters differ from "
                                                         f"those of {MODEL_FILE}")
        self.model = model
        self._model_sha256 = (model, found)

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        data, cfg = self._serialise()
        return srsly.msgpack_dumps({"cfg": cfg, "model": data})

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "ThemeClassifier":
        try:
            msg = srsly.msgpack_loads(data)
            cfg, model = msg["cfg"], msg["model"]
        except Exception as exc:
            raise ModelError("E014", path=f"{self.name} (bytes)", detail=str(exc)) from None
        self._restore(cfg, model, f"{self.name} (bytes)")
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        data, cfg = self._serialise()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / MODEL_FILE).write_bytes(data)
        (path / CFG_FILE).write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path, *, exclude=tuple()) -> "ThemeClassifier":
        path = Path(path)
        cfg_path, model_path = path / CFG_FILE, path / MODEL_FILE
        if not cfg_path.is_file() or not model_path.is_file():
            raise ModelError("E007", name=self.name, path=path)
        cfg = jsonio.read(cfg_path, lambda detail: ModelError("E015", path=cfg_path,
                                                             detail=f"not valid JSON ({detail})"))
        self._restore(cfg, model_path.read_bytes(), str(model_path))
        return self
