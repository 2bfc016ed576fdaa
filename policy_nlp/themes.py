"""`policy_nlp_themes`: multi-label theme scores for every unit, from a scikit-learn model.

Reads: `doc.spans["units"]` (set by `policy_nlp_report_structure`) and `Doc._.norm_text`.
Writes:
- `doc.spans["units"].attrs["scores"]`: per unit, one probability per label (boilerplate units: 0.0),
  and `.attrs["labels"]`: the label order;
- `doc.spans["themes"]`: one span per (unit, label) whose score reaches the label's threshold, labelled
  with the theme, so a unit with two themes has two spans;
- `doc.cats`: per label, the share of non-boilerplate units that carry it.
`Span._.scores` / `Span._.themes` read these back for a unit span.

The model lives in the component's directory: `cfg.json` (labels, thresholds, scikit-learn and
policy_nlp versions, SHA-256 of the model file) and `model.joblib`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from .classifier import ThemeModel
from .errors import ModelError
from .features import UnitContext, build_contexts
from .structure import UNITS_KEY

THEMES_KEY = "themes"
MODEL_FILE = "model.joblib"
CFG_FILE = "cfg.json"


@Language.factory("policy_nlp_themes", default_config={"units_key": UNITS_KEY, "themes_key": THEMES_KEY})
def make_themes(nlp: Language, name: str, units_key: str, themes_key: str):
    return ThemeClassifier(name, units_key=units_key, themes_key=themes_key)


def _library_versions() -> dict:
    import sklearn
    import spacy

    from . import __version__

    return {"scikit-learn": sklearn.__version__, "spacy": spacy.__version__, "policy_nlp": __version__}


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


class ThemeClassifier:
    def __init__(self, name: str = "policy_nlp_themes", *, units_key: str = UNITS_KEY,
                 themes_key: str = THEMES_KEY):
        self.name = name
        self.units_key = units_key
        self.themes_key = themes_key
        self.model: ThemeModel | None = None

    # -- state ---------------------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.model.labels) if self.model else ()

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.model.thresholds) if self.model else {}

    def set_model(self, model: ThemeModel) -> None:
        self.model = model

    def initialize(self, get_examples=None, *, nlp=None, labels: list[str] | None = None) -> None:
        """Train from Examples whose reference docs carry `units` spans and `themes` spans."""
        if get_examples is None:
            raise ModelError("E001", name=self.name)
        contexts, rows, groups = [], [], []
        found: set[str] = set()
        examples = list(get_examples())
        for k, eg in enumerate(examples):
            ref = eg.reference
            for span in ref.spans.get(self.themes_key, []):
                found.add(span.label_)
        label_list = list(labels) if labels else sorted(found)
        for k, eg in enumerate(examples):
            ref = eg.reference
            units = list(ref.spans.get(self.units_key, []))
            themes: dict[tuple[int, int], set[str]] = {}
            for span in ref.spans.get(self.themes_key, []):
                themes.setdefault((span.start_char, span.end_char), set()).add(span.label_)
            ctxs = build_contexts(ref._.norm_text, [(u.start_char, u.end_char, u.label_) for u in units])
            for unit, ctx in zip(units, ctxs):
                if unit.label_ == "boilerplate":
                    continue
                got = themes.get((unit.start_char, unit.end_char), set())
                contexts.append(ctx)
                rows.append([int(label in got) for label in label_list])
                groups.append(str(k))
        self.model = ThemeModel(label_list).fit(contexts, np.asarray(rows), groups)

    # -- prediction --------------------------------------------------------------------------------------
    def _require_model(self) -> ThemeModel:
        if self.model is None or self.model.estimator is None:
            raise ModelError("E001", name=self.name)
        return self.model

    def _contexts(self, doc: Doc) -> tuple[list[Span], list[int], list[UnitContext]]:
        if self.units_key not in doc.spans:
            raise ModelError("E002", name=self.name)
        units = list(doc.spans[self.units_key])
        ctxs = build_contexts(doc._.norm_text, [(u.start_char, u.end_char, u.label_) for u in units])
        content = [i for i, u in enumerate(units) if u.label_ != "boilerplate"]
        return units, content, [ctxs[i] for i in content]

    def _write(self, doc: Doc, units: list[Span], content: list[int], scores: np.ndarray) -> None:
        model = self.model
        full = np.zeros((len(units), len(model.labels)))
        if content:
            full[content] = scores
        decided = model.decide(full)
        if not content:
            decided[:] = False
        else:
            mask = np.zeros(len(units), dtype=bool)
            mask[content] = True
            decided &= mask[:, None]
        group = doc.spans[self.units_key]
        group.attrs["labels"] = list(model.labels)
        group.attrs["scores"] = np.round(full, 6).tolist()
        doc.spans[self.themes_key] = [
            Span(doc, units[i].start, units[i].end, label=label)
            for i in range(len(units)) for j, label in enumerate(model.labels) if decided[i, j]
        ]
        n = max(len(content), 1)
        doc.cats = {label: float(decided[:, j].sum()) / n for j, label in enumerate(model.labels)}

    def __call__(self, doc: Doc) -> Doc:
        self._require_model()
        units, content, ctxs = self._contexts(doc)
        self._write(doc, units, content, self.model.predict_proba(ctxs))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Score units of several documents in one batch (one feature matrix, one predict call)."""
        self._require_model()
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._score_batch(batch)
                batch = []
        if batch:
            yield from self._score_batch(batch)

    def _score_batch(self, docs: list[Doc]) -> list[Doc]:
        parts = [self._contexts(doc) for doc in docs]
        all_ctx = [c for _, _, ctxs in parts for c in ctxs]
        scores = self.model.predict_proba(all_ctx)
        k = 0
        for doc, (units, content, ctxs) in zip(docs, parts):
            self._write(doc, units, content, scores[k:k + len(ctxs)])
            k += len(ctxs)
        return docs

    # -- serialisation ------------------------------------------------------------------------------------
    def to_disk(self, path, *, exclude=tuple()) -> None:
        import joblib

        from .pkuseg_model import sha256_file

        model = self._require_model()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path / MODEL_FILE, compress=3)
        cfg = {
            "labels": list(model.labels),
            "thresholds": model.thresholds,
            "part_labels": list(model.part_labels),
            "C": model.C,
            "model_file": MODEL_FILE,
            "model_sha256": sha256_file(path / MODEL_FILE),
            "versions": _library_versions(),
        }
        (path / CFG_FILE).write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path, *, exclude=tuple()) -> "ThemeClassifier":
        import joblib
        import sklearn

        from .pkuseg_model import sha256_file

        path = Path(path)
        cfg_path = path / CFG_FILE
        if not cfg_path.is_file():
            raise ModelError("E007", name=self.name, path=path)
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        model_path = path / cfg.get("model_file", MODEL_FILE)
        if not model_path.is_file():
            raise ModelError("E007", name=self.name, path=path)
        found = sha256_file(model_path)
        if found != cfg["model_sha256"]:
            raise ModelError("E003", path=model_path, expected=cfg["model_sha256"], found=found)
        saved = cfg["versions"]["scikit-learn"]
        if _minor(saved) != _minor(sklearn.__version__):
            raise ModelError("E004", path=path, saved=saved, installed=sklearn.__version__)
        model: ThemeModel = joblib.load(model_path)
        model.labels = list(cfg["labels"])
        model.thresholds = {k: float(v) for k, v in cfg["thresholds"].items()}
        self.model = model
        return self


def _unit_index(span: Span) -> int | None:
    group = span.doc.spans.get(UNITS_KEY)
    if group is None:
        return None
    for i, unit in enumerate(group):
        if unit.start == span.start and unit.end == span.end:
            return i
    return None


def _scores_getter(span: Span) -> dict[str, float]:
    """`Span._.scores`: the theme probabilities of a unit span ({} when not scored)."""
    group = span.doc.spans.get(UNITS_KEY)
    i = _unit_index(span)
    if group is None or i is None or "scores" not in group.attrs:
        return {}
    return dict(zip(group.attrs["labels"], group.attrs["scores"][i]))


def _themes_getter(span: Span) -> list[str]:
    """`Span._.themes`: the themes assigned to a unit span."""
    return [t.label_ for t in span.doc.spans.get(THEMES_KEY, []) if t.start == span.start and t.end == span.end]


if not Span.has_extension("scores"):
    Span.set_extension("scores", getter=_scores_getter)
if not Span.has_extension("themes"):
    Span.set_extension("themes", getter=_themes_getter)
