"""Annotated documents and the reviewer JSON (`policy_nlp.document/v1`).

`AnnotatedDocument.from_doc` reads a processed `Doc` (units, headings, themes and scores in spaCy
built-ins) into plain records whose offsets index the input text; `to_dict`/`to_json` write the
reviewer JSON, `from_dict` reads it back. The JSON Schema ships as `policy_nlp/schema/document.v1.json`.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from itertools import compress, repeat
from pathlib import Path
from typing import Any

from spacy.matcher.levenshtein import levenshtein
from spacy.tokens import Doc

from ..components.tokenizer import doc_length, norm_text_getter, script_getter, t2s_conversion
from ..components.units import KINDS, headings_above
from ..components.unit_table import span_key
from ..errors import DataError
from ..model_dir import is_inner_path  # noqa: F401  (the corpus doors check a `doc` with it)
from .metadata import extract_metadata
from .checks import document_warnings
from . import jsonio

SCHEMA_ID = "policy_nlp.document/v1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "document.v1.json"
# A label is a name, never markup: letters, digits, '_', '-', '.' (every door checks it: reviewer JSON,
# imports, training data, export)
LABEL_RE = re.compile(r"[\w.-]{1,64}")


def label_problem(label) -> str | None:
    """Why `label` is not a usable label name (None when it is one)."""
    if isinstance(label, str) and LABEL_RE.fullmatch(label):
        return None
    return f"label {str(label)[:40]!r} is not a name of letters, digits, '_', '-' and '.' (at most 64)"


def looks_like(label: str, other: str) -> bool:
    """Whether `label` looks like a misspelling of `other`: the same up to case and -_/space, or at most
    two edits apart (one for labels of up to five characters; spaCy's Levenshtein distance)."""
    if label == other:
        return False
    def squash(x: str) -> str:
        return re.sub(r"[-_\s]", "", x.lower())
    if squash(label) == squash(other):
        return True
    limit = 1 if min(len(label), len(other)) <= 5 else 2
    return abs(len(label) - len(other)) <= limit and levenshtein(label, other) <= limit


def typo_of(label: str, candidates) -> str | None:
    """The first of `candidates` that `label` looks like a misspelling of (None: none)."""
    return next((c for c in candidates if looks_like(label, c)), None)


def unit_problem(unit: dict) -> str | None:
    """Why a reviewer-JSON unit's kind, labels or scores cannot be used (None when they can): the kind is
    one of `KINDS`, labels are names (`label_problem`), scores are finite numbers keyed by label names."""
    if unit.get("kind") not in KINDS:
        return f"kind {str(unit.get('kind'))[:40]!r} is not one of {', '.join(KINDS)}"
    labels, scores = unit.get("labels", []), unit.get("scores", {})
    if not isinstance(labels, list) or not isinstance(scores, dict):
        return "'labels' must be a list and 'scores' an object"
    for label in [*labels, *scores]:
        if label_problem(label):
            return label_problem(label)
    bad = [k for k, v in scores.items() if isinstance(v, bool) or not isinstance(v, (int, float))
           or not math.isfinite(v)]
    if bad:
        return f"the score of {bad[0]!r} is not a finite number"
    return _shape_problem(unit)


def _shape_problem(unit: dict) -> str | None:
    """Why a unit's `section`, `indicators` or `explanations` has the wrong type (None when they are right)."""
    section, indicators = unit.get("section", []), unit.get("indicators", [])
    if not isinstance(section, list) or not all(isinstance(h, str) for h in section):
        return "'section' must be a list of strings"
    if not isinstance(indicators, list) or not all(isinstance(r, dict) for r in indicators):
        return "'indicators' must be a list of objects"
    if unit.get("explanations") is not None and not isinstance(unit["explanations"], dict):
        return "'explanations' must be an object"
    return None


def non_finite(data) -> str | None:
    """Where in parsed JSON a number is NaN or infinite (a '/'-separated path), else None; walked without
    recursion, so a document nested as deep as the parser allows is walked too."""
    stack = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where or "/"
        if isinstance(value, dict):
            stack.extend((f"{where}/{key}", v) for key, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}/{k}", v) for k, v in enumerate(value))
    return None


def load_schema() -> dict:
    """The JSON Schema of the reviewer JSON."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))



def text_sha256(text: str) -> str:
    """The fingerprint of a report's text (UTF-8; a lone surrogate kept as it is, so no text fails to hash)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

@dataclass
class AnnotatedUnit:
    start: int
    end: int
    text: str
    kind: str
    section: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    reviewed: bool = False
    indicators: list[dict] = field(default_factory=list)  # indicator records (policy_nlp_indicators), if run
    explanations: dict | None = None  # per label: the evidence behind the score (annotate(explain=True))
    # Where a labelled unit read from a file comes from (a unit file's line, a labelling tool's task); none of
    # it is written to reviewer JSON.
    doc: str = ""  # the report it belongs to
    source: str = ""  # the file it was read from
    line: int | str = 0  # its line in that file, or its task in an export ("task 3")
    doc_sha256: str | None = None  # the report's text fingerprint, as the export recorded it
    annotator: str | None = None  # who reviewed it in the labelling tool

    def to_row(self) -> dict:
        """The unit as a line of a unit file (`doc`, `start`, `end`, `text`, `kind`, `labels`)."""
        return {"doc": self.doc, "start": self.start, "end": self.end, "text": self.text, "kind": self.kind,
                "labels": list(self.labels)}

    def to_dict(self) -> dict:
        out = {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind,
               "section": list(self.section), "labels": list(self.labels), "scores": dict(self.scores),
               "reviewed": self.reviewed}
        if self.indicators:
            out["indicators"] = [dict(r) for r in self.indicators]
        if self.explanations:
            out["explanations"] = self.explanations
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "AnnotatedUnit":
        return cls(start=data["start"], end=data["end"], text=data["text"], kind=data["kind"],
                   section=list(data.get("section", [])), labels=list(data.get("labels", [])),
                   scores=dict(data.get("scores", {})), reviewed=bool(data.get("reviewed", False)),
                   indicators=[dict(r) for r in data.get("indicators", [])],
                   explanations=data.get("explanations") or None)


def _sections(texts: list[str], parents) -> list[list[str]]:
    """Each unit's section: the texts of the headings above it (its parent, negative for none, and the
    headings `headings_above` walks from there), outermost first (`texts`: the units' texts). Worked out once
    per distinct parent, in index order, from its own parent's (a unit table's parent comes before its unit;
    else the walk), then copied per unit (a unit's list is its own)."""
    heads: dict[int, tuple[str, ...]] = {}
    for j in sorted(set(parents)):
        if j < 0:
            heads[j] = ()
            continue
        above = () if parents[j] < 0 else heads.get(parents[j])
        if above is None:
            above = tuple(texts[k] for k in headings_above(parents.__getitem__, j))
        heads[j] = (*above, texts[j])
    return list(map(list, map(heads.__getitem__, parents)))


def _units(group, text: str, labels: list[str], scores, decided, parents, explanations, strings) -> list:
    """The `AnnotatedUnit`s of a unit group and its attrs (`scores`, `decided`: None when not scored), built
    column by column over all units: each span read once (spaCy makes a `Span` per read), no row tuple per
    unit, a unit with no label decided (most) given an empty list without a `compress` over its row, and the
    units made by `map` with positional fields in AnnotatedUnit's order (≈ 5% of this step)."""
    kinds = _KindNames(strings)
    spans = list(group)
    n = len(spans)
    starts = [span.start_char for span in spans]
    ends = [span.end_char for span in spans]
    names = [kinds[span.label] for span in spans]
    texts = [text[start:end] for start, end in zip(starts, ends)]
    sections = _sections(texts, parents)
    if decided is None:
        chosen = [[] for _ in spans]
    else:
        chosen = [list(compress(labels, row)) if any(row) else [] for row in map(decided.__getitem__, range(n))]
    if scores is None:
        probs = [{} for _ in spans]
    else:
        probs = list(map(dict, map(zip, repeat(labels), map(scores.__getitem__, range(n)))))
    notes = [explanations[i] for i in range(n)] if explanations else repeat(None)
    return list(map(AnnotatedUnit, starts, ends, texts, names, sections, chosen, probs, repeat(False),
                    [[] for _ in spans], notes))


class _KindNames(dict):
    """A unit's kind name by its label id: `Span.label_` looks the id up in the StringStore on every call;
    this looks each id up once per document."""

    def __init__(self, strings):
        super().__init__()
        self.strings = strings

    def __missing__(self, label: int) -> str:
        name = self[label] = self.strings[label]
        return name


def _script_and_conversions(doc: Doc) -> tuple[str, str | None, str | None]:
    """`doc._.script`, the tokenizer's t2s conversion of the input (`t2s_conversion`) and, when it has one
    and the report is in Simplified script, the input with full-width forms folded: the normalised text
    there (`normalize.normalize`). Through the getters' own functions, not `doc._` (≈ 3 µs a look-up)."""
    script, converted = script_getter(doc), t2s_conversion(doc)
    folded = norm_text_getter(doc) if converted is not None and script == "simplified" else None
    return script, converted, folded


@dataclass
class AnnotatedDocument:
    text: str
    units: list[AnnotatedUnit]
    model: dict[str, Any] = field(default_factory=dict)
    script: str = "simplified"
    id: str | None = None
    metadata: dict | None = None  # who and when, each field with its source (policy_nlp.corpus.metadata)
    source: dict | None = None  # the file it was read from: file, format, title, published, pages …
    warnings: list[dict] = field(default_factory=list)  # {code, message, fix}: what the output should not hide

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.model.get("labels", ()))

    def label_counts(self) -> dict[str, int]:
        counts = {label: 0 for label in self.labels}
        for unit in self.units:
            for label in unit.labels:
                counts[label] = counts.get(label, 0) + 1
        return counts

    @classmethod
    def from_doc(cls, doc: Doc, model: dict[str, Any] | None = None, id: str | None = None,
                 text: str | None = None) -> "AnnotatedDocument":
        """Read a processed Doc through the span keys its pipeline used. `text`: the input the Doc was made
        from, if at hand (saves rebuilding `doc.text` from the tokens)."""
        group = doc.spans.get(span_key(doc, "units"), [])
        attrs = group.attrs if len(group) else {}
        labels = list(attrs.get("labels", [])) if len(group) else list((model or {}).get("labels", []))
        scores = attrs.get("scores")
        decided = attrs.get("decided")
        parents = attrs.get("parents") or [-1] * len(group)
        explanations = attrs.get("explanations") if len(group) else None
        if text is None or len(text) != doc_length(doc):
            text = doc.text
        units = _units(group, text, labels, scores, decided, parents, explanations, doc.vocab.strings)
        indicator_group = doc.spans.get(span_key(doc, "indicators"))
        if indicator_group is not None and units:  # records with the input's own characters at their offsets
            n = len(units)
            for rec in indicator_group.attrs.get("records", []):
                k = rec.get("unit_index", -1)  # each field read once: ≈ 40 records a short report
                if 0 <= k < n:
                    out_rec = dict(rec)
                    out_rec["text"] = text[rec["start"]:rec["end"]]
                    phrase_start = rec.get("phrase_start")
                    if phrase_start is not None:
                        out_rec["phrase"] = text[phrase_start:rec["phrase_end"]]
                    units[k].indicators.append(out_rec)
        script, converted, folded = _script_and_conversions(doc)
        return cls(text=text, units=units, model=dict(model or {}), script=script, id=id,
                   metadata=extract_metadata(text, name=id, converted=converted, folded=folded).to_dict(),
                   warnings=document_warnings(text, units, labels))

    def add_source(self, source: dict | None, warnings: list[dict] = ()) -> "AnnotatedDocument":
        """Record the file the text was extracted from and the extraction's warnings (before the others); the
        file's own title joins the metadata's sources."""
        self.source = dict(source) if source else None
        self.warnings = list(warnings) + self.warnings
        if self.source and self.source.get("title"):
            self.metadata = extract_metadata(self.text, name=self.id, page={"title": self.source["title"]}).to_dict()
        return self

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"schema": SCHEMA_ID}
        if self.id is not None:
            out["id"] = self.id
        if self.metadata:
            out["metadata"] = self.metadata
        if self.source:
            out["source"] = dict(self.source)
        out.update({"text": self.text, "script": self.script, "model": self.model})
        if self.warnings:
            out["warnings"] = [dict(w) for w in self.warnings]
        out["units"] = [u.to_dict() for u in self.units]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict) -> "AnnotatedDocument":
        """Read reviewer JSON (a dict); checks the schema tag, the fields and every unit's offsets (E043)."""
        where = (data.get("id") if isinstance(data, dict) else None) or "<document>"
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise DataError("E042", path=where, found=found, expected=SCHEMA_ID)
        if "error" in data and "units" not in data:
            raise DataError("E043", where=where, detail=f"it is an error record: {data['error']}")
        if data.get("id") is not None and not isinstance(data["id"], str):
            raise DataError("E043", where="<document>", detail="'id' must be a string")
        nan = non_finite(data)
        if nan:
            raise DataError("E043", where=where, detail=f"the number at {nan[:80]} is not finite (NaN or Infinity)")
        text, units = data.get("text"), data.get("units")
        if not isinstance(text, str) or not isinstance(units, list):
            raise DataError("E043", where=where, detail="'text' must be a string and 'units' a list")
        out, prev_end = [], 0
        for k, u in enumerate(units):
            if not isinstance(u, dict) or not all(key in u for key in ("start", "end", "text", "kind")):
                raise DataError("E043", where=where, detail=f"unit {k} lacks start, end, text or kind")
            s, e = u["start"], u["end"]
            if not (isinstance(s, int) and isinstance(e, int) and prev_end <= s < e <= len(text)):
                raise DataError("E043", where=where, detail=f"unit {k} has offsets [{s}, {e}) out of order or "
                                                            f"outside the text ({len(text)} characters)")
            if text[s:e] != u["text"]:
                raise DataError("E043", where=where, detail=f"unit {k}: text[{s}:{e}] is {text[s:e][:20]!r}, "
                                                            f"the unit says {str(u['text'])[:20]!r}")
            problem = unit_problem(u)
            if problem:
                raise DataError("E043", where=where, detail=f"unit {k}: {problem}")
            prev_end = e
            out.append(AnnotatedUnit.from_dict(u))
        model = data.get("model", {})
        problem = _model_problem(model) or _extras_problem(data)
        if problem:
            raise DataError("E043", where=where, detail=problem)
        return cls(text=text, units=out, model=dict(model), script=data.get("script", "simplified"), id=data.get("id"),
                   metadata=data.get("metadata") or None, source=data.get("source") or None,
                   warnings=[dict(w) for w in data.get("warnings", [])])

    @classmethod
    def from_json(cls, text: str | dict) -> "AnnotatedDocument":
        """Read reviewer JSON given as a string (or an already parsed dict)."""
        return cls.from_dict(text if isinstance(text, dict) else jsonio.loads(text, "<reviewer JSON>"))


def _extras_problem(data: dict) -> str | None:
    """Why a reviewer JSON's optional `metadata`, `source` or `warnings` cannot be used: objects, and warnings
    with text code, message and fix."""
    for key in ("metadata", "source"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            return f"'{key}' must be an object"
    warnings = data.get("warnings", [])
    ok = isinstance(warnings, list) and all(
        isinstance(w, dict) and isinstance(w.get("code"), str) and isinstance(w.get("message"), str)
        and isinstance(w.get("fix", ""), str) for w in warnings)
    return None if ok else "'warnings' must be a list of objects with text 'code', 'message' and 'fix'"


def _model_problem(model) -> str | None:
    """Why a reviewer JSON's `model` cannot be used: labels must be names and thresholds finite numbers."""
    if not isinstance(model, dict):
        return "'model' must be an object"
    labels, thresholds = model.get("labels", []), model.get("thresholds") or {}
    if not isinstance(labels, list) or not isinstance(thresholds, dict):
        return "model 'labels' must be a list and 'thresholds' an object"
    problem = unit_problem({"kind": KINDS[0], "labels": labels, "scores": thresholds})
    return f"model: {problem}" if problem else None
