"""Annotated documents and the reviewer JSON (`policy_nlp.document/v1`).

`AnnotatedDocument.from_doc` reads a processed `Doc` (units, headings, themes and scores in spaCy
built-ins) into plain records whose offsets index the input text; `to_dict`/`to_json` write the
reviewer JSON, `from_dict` reads it back. The JSON Schema ships as `policy_nlp/schema/document.v1.json`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from .structure import UNITS_KEY, section_paths
from .themes import THEMES_KEY
from .tokenizer import doc_length

SCHEMA_ID = "policy_nlp.document/v1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "document.v1.json"


def load_schema() -> dict:
    """The JSON Schema of the reviewer JSON."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


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

    def to_dict(self) -> dict:
        out = {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind,
               "section": list(self.section), "labels": list(self.labels), "scores": dict(self.scores)}
        if self.reviewed:
            out["reviewed"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "AnnotatedUnit":
        return cls(start=data["start"], end=data["end"], text=data["text"], kind=data["kind"],
                   section=list(data.get("section", [])), labels=list(data.get("labels", [])),
                   scores=dict(data.get("scores", {})), reviewed=bool(data.get("reviewed", False)))


@dataclass
class AnnotatedDocument:
    text: str
    units: list[AnnotatedUnit]
    model: dict[str, Any] = field(default_factory=dict)
    script: str = "simplified"
    id: str | None = None

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
        """Read a processed Doc. `text`: the input the Doc was made from, if at hand (saves rebuilding
        `doc.text` from the tokens)."""
        group = doc.spans.get(UNITS_KEY, [])
        labels = list(group.attrs.get("labels", [])) if len(group) else list((model or {}).get("labels", []))
        scores = group.attrs.get("scores") if len(group) else None
        themes: dict[tuple[int, int], set[str]] = {}
        for span in doc.spans.get(THEMES_KEY, []):
            themes.setdefault((span.start, span.end), set()).add(span.label_)
        if text is None or len(text) != doc_length(doc):
            text = doc.text
        units = []
        for i, (span, path) in enumerate(zip(group, section_paths(doc))):
            got = themes.get((span.start, span.end), set())
            start, end = span.start_char, span.end_char
            units.append(AnnotatedUnit(
                start=start, end=end, text=text[start:end], kind=span.label_,
                section=[text[h.start_char:h.end_char] for h in path],
                labels=[label for label in labels if label in got],
                scores=dict(zip(labels, scores[i])) if scores is not None else {},
            ))
        return cls(text=text, units=units, model=dict(model or {}), script=doc._.script, id=id)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"schema": SCHEMA_ID}
        if self.id is not None:
            out["id"] = self.id
        out.update({"text": self.text, "script": self.script, "model": self.model,
                    "units": [u.to_dict() for u in self.units]})
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict) -> "AnnotatedDocument":
        if data.get("schema") != SCHEMA_ID:
            raise ValueError(f"not a {SCHEMA_ID} document (schema={data.get('schema')!r})")
        return cls(text=data["text"], units=[AnnotatedUnit.from_dict(u) for u in data["units"]],
                   model=dict(data.get("model", {})), script=data.get("script", "simplified"), id=data.get("id"))

    @classmethod
    def from_json(cls, text: str) -> "AnnotatedDocument":
        return cls.from_dict(json.loads(text))
