"""A review page a person can read: one self-contained HTML file for one report or a corpus.

`review_html(documents)` returns the page as a string (`policy-nlp review` writes it). Each report shows its
units in order: headings as headings (by depth), sentences with their themes highlighted by spaCy's displaCy
span renderer (`style="span"` over a `themes` span group, one per unit), boilerplate greyed. A legend gives
each label's share of the report's content units; filter buttons show only the units of some labels, or only
the "uncertain" ones (some label's score within `margin` of its threshold); hovering or clicking a unit shows
its scores, thresholds and, when the reviewer JSON has them (`annotate --explain`), the features behind each
score in the side panel. No network and no external assets: the styles, the script and the data are inline.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from typing import Sequence

from . import jsonio
from .document import AnnotatedDocument
from ..atomic import atomic_write

DEFAULT_MARGIN = 0.1
PALETTE = ["#7aecec", "#feca74", "#aa9cfc", "#ff9561", "#bfeeb7", "#e4e7d2", "#c887fb", "#9cc9cc", "#ffeb80",
           "#ff8197", "#f0d0ff", "#bfe1d9"]
GREY = "#dddddd"
_TEMPLATE = {
    "span": '<span class="tok" style="height:{total_height}px">{text}{span_slices}{span_starts}</span>',
    "slice": '<span class="sl" style="background:{bg};top:{top_offset}px"></span>',
    "start": '<span class="sl st" style="background:{bg};top:{top_offset}px">'
             '<span class="lab" style="background:{bg}">{label}{kb_link}</span></span>',
}

_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: #222; background: #fafafa; }
header { position: sticky; top: 0; z-index: 50; background: #fff; border-bottom: 1px solid #ddd;
         padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
button.filter { border: 1px solid #999; border-radius: 4px; padding: 3px 8px; cursor: pointer; font-size: 13px;
                background: #fff; }
button.filter.active { outline: 3px solid #333; font-weight: bold; }
button.filter .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
#count { margin-left: auto; font-size: 13px; color: #555; }
.layout { display: flex; align-items: flex-start; }
main { flex: 1; padding: 8px 20px 40px; min-width: 0; }
aside { width: 400px; position: sticky; top: 56px; max-height: calc(100vh - 60px); overflow-y: auto;
        background: #fff; border-left: 1px solid #ddd; padding: 10px 14px; font-size: 13px; }
nav.reports { font-size: 13px; margin: 6px 0; }
nav.reports a { margin-right: 10px; }
section.report { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 16px 16px;
                 margin: 12px 0; }
section.report > h2 { font-size: 15px; margin: 6px 0; color: #333; word-break: break-all; }
.warnings { background: #fff4e5; border-left: 3px solid #e8a33d; margin: 4px 0 12px; padding: 6px 6px 6px 24px;
  font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin: 4px 0 12px; color: #444; }
.legend .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: middle;
              margin-right: 4px; }
.unit { border-radius: 4px; padding: 1px 4px; margin: 2px 0; cursor: pointer; }
.unit:hover, .unit.selected { background: #f1f5ff; }
.unit.hidden { display: none; }
.unit.heading { font-weight: bold; margin-top: 10px; }
.unit.heading.depth-0 { font-size: 18px; } .unit.heading.depth-1 { font-size: 16px; }
.unit.heading.depth-2 { font-size: 15px; } .unit.heading.depth-3, .unit.heading.depth-4 { font-size: 14px; }
.unit.boilerplate { color: #aaa; font-size: 12px; }
.unit.uncertain { border-left: 3px dashed #d33; }
.unit .spans { line-height: 2.2 !important; display: inline; }
.tok { display: inline-block; position: relative; font-weight: inherit; }
.sl { position: absolute; height: 4px; left: 0; width: 100%; }
.sl.st { border-top-left-radius: 3px; border-bottom-left-radius: 3px; }
.lab { position: absolute; z-index: 10; top: 3px; left: 0; padding: 0 3px; font-size: 10px; line-height: 12px;
       font-weight: normal; border-radius: 3px; white-space: nowrap; color: #000; }
.plain { line-height: 2.2; }
#panel h3 { font-size: 14px; margin: 6px 0; }
#panel .utext { background: #f6f6f6; padding: 6px; border-radius: 4px; margin-bottom: 8px; }
#panel table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
#panel td, #panel th { padding: 2px 4px; text-align: left; border-bottom: 1px solid #eee; }
#panel .pos { color: #0a7d2c; } #panel .neg { color: #b3261e; }
#panel .feat { font-family: monospace; }
#panel .why { margin: 6px 0 10px; }
#panel .muted { color: #888; }
"""

_JS = r"""
(function () {
  var data = JSON.parse(document.getElementById('review-data').textContent);
  var units = Array.prototype.slice.call(document.querySelectorAll('.unit'));
  var filters = Array.prototype.slice.call(document.querySelectorAll('button.filter'));
  var active = {};
  function esc(s) { var d = document.createElement('div'); d.textContent = String(s); return d.innerHTML; }
  function apply() {
    var labels = Object.keys(active).filter(function (k) { return active[k] && k !== '__uncertain'; });
    var unc = !!active['__uncertain'];
    var shown = 0;
    units.forEach(function (el) {
      var has = (el.getAttribute('data-labels') || '').split(' ').filter(Boolean);
      var near = (el.getAttribute('data-uncertain') || '').split(' ').filter(Boolean);
      var ok;
      if (unc) {
        ok = near.length > 0 && (!labels.length || labels.some(function (l) { return near.indexOf(l) >= 0; }));
      } else {
        ok = !labels.length || labels.some(function (l) { return has.indexOf(l) >= 0; });
      }
      el.classList.toggle('hidden', !ok);
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown;
  }
  filters.forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.getAttribute('data-filter');
      if (key === '__all') { active = {}; } else { active[key] = !active[key]; }
      filters.forEach(function (x) { x.classList.toggle('active', !!active[x.getAttribute('data-filter')]); });
      apply();
    });
  });
  function fmt(x) { return (x >= 0 ? '+' : '') + x.toFixed(3); }
  function show(el) {
    units.forEach(function (u) { u.classList.remove('selected'); });
    el.classList.add('selected');
    var d = data.docs[+el.getAttribute('data-doc')];
    var u = d.units[+el.getAttribute('data-i')];
    var h = '<h3>' + esc(d.id) + ' · unit ' + el.getAttribute('data-i') + ' · ' + esc(u.kind) + '</h3>';
    if (u.section.length) { h += '<div class="muted">' + u.section.map(esc).join(' › ') + '</div>'; }
    h += '<div class="utext">' + esc(u.text) + '</div>';
    if (u.kind === 'boilerplate') { panel.innerHTML = h + '<div class="muted">Boilerplate: not scored.</div>'; return; }
    h += '<table><tr><th>label</th><th>score</th><th>threshold</th><th></th></tr>';
    d.labels.forEach(function (l) {
      var s = u.scores[l], t = d.thresholds[l];
      var mark = u.labels.indexOf(l) >= 0 ? '✔' : '';
      if (s !== undefined && t !== undefined && Math.abs(s - t) < data.margin) { mark += ' uncertain'; }
      h += '<tr><td>' + esc(l) + '</td><td>' + (s === undefined ? '' : s.toFixed(3)) + '</td><td>' +
           (t === undefined ? '' : t.toFixed(3)) + '</td><td>' + mark + '</td></tr>';
    });
    h += '</table>';
    if (u.explanations) {
      d.labels.forEach(function (l) {
        var e = u.explanations[l];
        if (!e) { return; }
        h += '<div class="why"><b>' + esc(l) + '</b>: logit ' + e.logit.toFixed(3) + ' (threshold ' +
             (e.threshold_logit === undefined ? '?' : e.threshold_logit.toFixed(3)) + ') = intercept ' +
             fmt(e.intercept);
        h += '<table>';
        e.features.forEach(function (f) {
          var what = f.kind === 'term_list' ? f.source + ' in ' + f.where + (f.terms && f.terms.length ?
                     ': ' + f.terms.join('、') : '') : f.source;
          h += '<tr><td class="' + (f.contribution >= 0 ? 'pos' : 'neg') + '">' + fmt(f.contribution) +
               '</td><td class="feat">' + esc(f.name) + '</td><td class="muted">' + esc(what) + '</td></tr>';
        });
        h += '<tr><td>' + fmt(e.rest) + '</td><td colspan="2" class="muted">all other features</td></tr></table></div>';
      });
    } else {
      h += '<div class="muted">No explanations in this file: annotate with --explain to see why.</div>';
    }
    panel.innerHTML = h;
  }
  var panel = document.getElementById('panel');
  units.forEach(function (el) {
    el.addEventListener('click', function () { show(el); });
    el.addEventListener('mouseenter', function () { if (!document.querySelector('.unit.selected')) { show(el); } });
  });
  apply();
})();
"""


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


# Nothing but the page's own inline script runs, nothing is fetched: markup that slipped into the data
# (an <img onerror=…> label, a javascript: link) stays inert even if some text were left unescaped
CSP = (f"default-src 'none'; script-src '{_script_hash(_JS)}'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


def _colors(labels: Sequence[str]) -> dict[str, str]:
    return {label: PALETTE[k % len(PALETTE)] for k, label in enumerate(labels)}


def _displacy(unit, colors: dict[str, str]) -> str:
    """The unit's text with its themes drawn by displaCy's span renderer (one token per character)."""
    from spacy import displacy
    from spacy.tokens import Doc, Span

    words = list(unit.text)
    doc = Doc(_vocab(), words=words, spaces=[False] * len(words))
    doc.spans["themes"] = [Span(doc, 0, len(words), label=html.escape(label)) for label in unit.labels]
    options = {"spans_key": "themes", "colors": {html.escape(label): c for label, c in colors.items()},
               "template": _TEMPLATE, "top_offset": 24, "span_label_offset": 0, "top_offset_step": 16}
    return displacy.render(doc, style="span", options=options, page=False)


@functools.lru_cache(maxsize=1)
def _vocab():
    from spacy.vocab import Vocab

    return Vocab()


def uncertain_labels(unit, thresholds: dict[str, float], margin: float = DEFAULT_MARGIN) -> list[str]:
    """The labels whose score lies within `margin` of their threshold (none for boilerplate)."""
    if unit.kind == "boilerplate":
        return []
    return [label for label, score in unit.scores.items()
            if label in thresholds and abs(float(score) - float(thresholds[label])) < margin]


def label_shares(doc: AnnotatedDocument) -> dict[str, tuple[int, float]]:
    """Per label: (content units carrying it, their share of the content units)."""
    content = [u for u in doc.units if u.kind != "boilerplate"]
    n = max(len(content), 1)
    labels = list(doc.labels) or sorted({l for u in content for l in u.labels})
    return {label: (sum(label in u.labels for u in content), sum(label in u.labels for u in content) / n)
            for label in labels}


def _unit_html(k: int, i: int, unit, colors, thresholds, margin) -> str:
    near = uncertain_labels(unit, thresholds, margin)
    depth = len(unit.section)
    classes = ["unit", unit.kind] + ([f"depth-{min(depth, 4)}"] if unit.kind == "heading" else []) + \
              (["uncertain"] if near else [])
    attrs = (f'class="{html.escape(" ".join(classes))}" data-doc="{k}" data-i="{i}" '
             f'data-labels="{html.escape(" ".join(unit.labels))}" data-uncertain="{html.escape(" ".join(near))}"')
    if unit.labels:
        body = _displacy(unit, colors)
    else:
        body = f'<span class="plain">{html.escape(unit.text)}</span>'
    return f"<div {attrs}>{body}</div>"


def _warnings_html(doc: AnnotatedDocument) -> str:
    """The document's warnings (code, message, fix) above its units; nothing when it has none."""
    items = "".join(f'<li><b>{html.escape(w["code"])}</b> {html.escape(w["message"])} '
                    f'<i>{html.escape(w.get("fix", ""))}</i></li>' for w in doc.warnings)
    return f'<ul class="warnings">{items}</ul>' if items else ""


def review_html(documents: Sequence[AnnotatedDocument], *, title: str | None = None,
                margin: float = DEFAULT_MARGIN) -> str:
    """The review page of `documents` (reviewer JSON documents) as one self-contained HTML string."""
    documents = list(documents)
    labels: list[str] = []
    for doc in documents:
        for label in list(doc.labels) + [l for u in doc.units for l in u.labels]:
            if label not in labels:
                labels.append(label)
    colors = _colors(labels)
    total = sum(len(d.units) for d in documents)
    title = title or (documents[0].id or "report" if len(documents) == 1 else f"{len(documents)} reports")
    buttons = ['<button class="filter" data-filter="__all">all</button>']
    for label in labels:
        buttons.append(f'<button class="filter" data-filter="{html.escape(label)}" style="background:#fff">'
                       f'<span class="sw" style="background:{colors[label]}"></span>{html.escape(label)}</button>')
    buttons.append(f'<button class="filter" data-filter="__uncertain" title="a score within {margin:g} of its '
                   f'threshold">uncertain</button>')
    sections, nav, payload = [], [], []
    for k, doc in enumerate(documents):
        name = doc.id or f"report {k + 1}"
        thresholds = {l: float(t) for l, t in (doc.model.get("thresholds") or {}).items()}
        shares = label_shares(doc)
        legend = "".join(
            f'<span><span class="sw" style="background:{colors.get(l, GREY)}"></span>{html.escape(l)} '
            f'{share:.0%} ({count})</span>' for l, (count, share) in shares.items())
        n_content = sum(u.kind != "boilerplate" for u in doc.units)
        n_uncertain = sum(bool(uncertain_labels(u, thresholds, margin)) for u in doc.units)
        body = "".join(_unit_html(k, i, u, colors, thresholds, margin) for i, u in enumerate(doc.units))
        sections.append(
            f'<section class="report" id="report-{k}"><h2>{html.escape(name)}</h2>'
            f'<div class="legend"><span>{len(doc.units)} units, {n_content} scored, {n_uncertain} uncertain'
            f'</span>{legend}</div>{_warnings_html(doc)}{body}</section>')
        nav.append(f'<a href="#report-{k}">{html.escape(name)}</a>')
        payload.append({"id": name, "labels": list(shares), "thresholds": thresholds,
                        "units": [{"kind": u.kind, "text": u.text, "section": list(u.section),
                                   "labels": list(u.labels), "scores": dict(u.scores),
                                   "explanations": u.explanations} for u in doc.units]})
    data = {"margin": margin, "docs": payload}
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html.escape(title)} · policy_nlp review</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{html.escape(title)}</h1>{"".join(buttons)}'
        f'<span id="count"><span id="shown">{total}</span> of <span id="total">{total}</span> units shown</span>'
        "</header>"
        '<div class="layout"><main>'
        + (f'<nav class="reports">{"".join(nav)}</nav>' if len(documents) > 1 else "")
        + "".join(sections)
        + '</main><aside id="panel"><div class="muted">Hover or click a unit to see its scores and why.</div></aside>'
        f'</div><script type="application/json" id="review-data">{jsonio.script_json(data)}</script>'
        f"<script>{_JS}</script></body></html>\n"
    )


def read_documents(paths: Sequence, *, nlp=None, explain_top: int = 8) -> tuple[list[AnnotatedDocument], list[str]]:
    """The documents of a review: reviewer JSON files (`.json`), corpus outputs (`.jsonl`, one reviewer JSON
    per line; error records are skipped and noted), and reports to annotate now with explanations (`.txt`
    files, directories, tables: as `policy-nlp annotate` reads them). Returns (documents, notes)."""
    from pathlib import Path

    from ..errors import DataError

    docs: list[AnnotatedDocument] = []
    notes: list[str] = []
    to_annotate: list = []
    for path in paths:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl") and not path.is_file():
            raise DataError("E161", path=path, detail="no such file")
        if suffix == ".json":
            try:
                doc = AnnotatedDocument.from_json(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DataError("E161", path=path, detail=str(exc)) from None
            except DataError as exc:
                raise DataError("E161", path=path, detail=exc.message) from None
            if not doc.id:
                doc.id = str(path)
            docs.append(doc)
        elif suffix == ".jsonl" and _is_reviewer_jsonl(path):
            with open(path, encoding="utf-8") as fh:
                for line_no, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = jsonio.loads(line, f"{path}:{line_no}")
                    except json.JSONDecodeError as exc:
                        raise DataError("E161", path=f"{path}:{line_no}", detail=str(exc)) from None
                    if isinstance(rec, dict) and "error" in rec and "units" not in rec:
                        notes.append(f"{rec.get('id', f'{path}:{line_no}')}: skipped, {rec['error']}")
                        continue
                    try:
                        doc = AnnotatedDocument.from_dict(rec)
                    except DataError as exc:
                        raise DataError("E161", path=f"{path}:{line_no}", detail=exc.message) from None
                    if not doc.id:
                        doc.id = f"{path}:{line_no}"
                    docs.append(doc)
        else:
            to_annotate.append(path)
    if to_annotate:
        from ..pipeline import THEMES, default_pipeline
        from .batch import annotate_to_directory

        nlp = nlp or default_pipeline()
        top = explain_top if THEMES in nlp.pipe_names else 0
        for doc_id, result, error, _ in annotate_to_directory(to_annotate, None, nlp=nlp, explain_top=top):
            if result is None:
                notes.append(f"{doc_id}: skipped, {error}")
                continue
            result.id = str(doc_id)
            docs.append(result)
    if not docs:
        raise DataError("E162", paths=", ".join(str(p) for p in paths))
    return docs, notes


def _is_reviewer_jsonl(path) -> bool:
    """A `.jsonl` whose first record is reviewer JSON (else it is a table of texts to annotate)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                try:
                    rec = jsonio.loads(line, path)
                except ValueError:  # a syntax error, too deep (E118), an integer too long
                    return True  # reported with its line by the reader
                return isinstance(rec, dict) and rec.get("schema") is not None
    return True


def write_review(paths: Sequence, output, *, nlp=None, title: str | None = None, margin: float = DEFAULT_MARGIN,
                 explain_top: int = 8) -> dict:
    """Read the documents (`read_documents`), write the review page to `output` (through a temporary file,
    so a failed run leaves an existing page as it was) and return {output, documents, units, notes}."""
    from pathlib import Path

    docs, notes = read_documents(paths, nlp=nlp, explain_top=explain_top)
    page = review_html(docs, title=title, margin=margin)
    output = Path(output)
    atomic_write(output, page)
    return {"output": str(output), "documents": len(docs), "units": sum(len(d.units) for d in docs),
            "notes": notes}
