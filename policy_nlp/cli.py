"""`policy-nlp` / `python -m policy_nlp`: a thin command line over the library's functions.

Each command calls an importable function that returns data; only this module prints.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import PolicyNLPError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Sentence-level themes of Chinese rule-of-law government reports.")


def _fail(exc: PolicyNLPError) -> None:
    typer.echo(f"Error {exc}", err=True)
    raise typer.Exit(code=2)


def _say(msg: str) -> None:
    typer.echo(msg, err=True)


@app.command()
def download(
    wheel: Optional[Path] = typer.Option(None, help="A local copy of pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl."),
    force: bool = typer.Option(False, help="Fetch and convert again even if cached."),
):
    """Fetch the pkuseg `default` segmentation model into the user cache (POLICY_NLP_CACHE)."""
    from tqdm import tqdm

    from . import pkuseg_model

    bars: dict = {}

    def progress(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(total=total, unit="B", unit_scale=True, desc=f"extract {name}", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        if not force and pkuseg_model.is_model_dir(pkuseg_model.default_model_dir()):
            typer.echo(f"pkuseg default model already cached in {pkuseg_model.default_model_dir()}")
            return
        _say("fetching the pkuseg 0.0.25 wheel (about 50 MB) with pip …" if wheel is None else f"using {wheel}")
        path = pkuseg_model.download(wheel=wheel, force=force, quiet=False, progress=progress)
    except PolicyNLPError as exc:
        _fail(exc)
    finally:
        for bar in bars.values():
            bar.close()
    typer.echo(f"pkuseg default model cached in {path}")


@app.command()
def annotate(
    inputs: List[Path] = typer.Argument(..., help="Report files (.txt), directories, or .jsonl/.csv/.parquet tables."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="A .jsonl or .parquet file (resumable), or a directory for one "
                                               ".json per input. Default: print JSON to stdout."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory (default: the shipped model)."),
    segmenter: str = typer.Option("pkuseg", help="pkuseg, or char (offline, no weights)."),
    n_process: int = typer.Option(1, "--n-process", help="Worker processes."),
    batch_size: int = typer.Option(8, "--batch-size"),
    text_column: str = typer.Option("text", help="Text column of table inputs."),
    id_column: Optional[str] = typer.Option(None, help="Id column of table inputs (default: FILE#row)."),
    summary: Optional[Path] = typer.Option(None, help="Write a per-report summary CSV."),
    max_chars: int = typer.Option(20_000_000, help="Documents longer than this are recorded as errors."),
    fmt: str = typer.Option("json", "--format", help="Without -o: json (reviewer JSON) or table (one line per unit)."),
):
    """Annotate reports and write reviewer JSON (or a readable table)."""
    from .pipeline import load

    try:
        nlp = load(model, segmenter=segmenter)
        if output is not None and output.suffix.lower() in (".jsonl", ".parquet"):
            run_batch(inputs, output, nlp, n_process, batch_size, text_column, id_column, summary, max_chars)
        else:
            if fmt not in ("json", "table"):
                raise typer.BadParameter("use json or table", param_hint="--format")
            annotate_files(inputs, output, nlp, fmt)
    except PolicyNLPError as exc:
        _fail(exc)


def format_table(doc) -> str:
    """One line per unit: offsets, kind, labels, the innermost section heading, the text."""
    lines = [f"# {doc.id or ''}  ({len(doc.units)} units, {doc.script}, model {doc.model.get('name')})"]
    for u in doc.units:
        labels = ",".join(u.labels) or "-"
        text = u.text if len(u.text) <= 60 else u.text[:59] + "…"
        lines.append(f"{u.start:>6}-{u.end:<6} {u.kind:<11} {labels:<45} {text}")
    return "\n".join(lines)


def annotate_files(inputs: List[Path], output: Optional[Path], nlp, fmt: str = "json") -> None:
    from .api import annotate as annotate_text
    from .inputs import iter_inputs

    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    failures = total = 0
    for doc in iter_inputs(inputs):
        total += 1
        if doc.error:
            failures += 1
            _say(f"{doc.id}: {doc.error}")
            continue
        result = annotate_text(doc.text, nlp=nlp)
        result.id = doc.id
        if output is None:
            typer.echo(result.to_json() if fmt == "json" else format_table(result))
        else:
            target = output / (Path(doc.id).stem + ".json")
            target.write_text(result.to_json(), encoding="utf-8")
            _say(f"{doc.id} → {target} ({len(result.units)} units)")
    if total and failures == total:
        raise typer.Exit(code=1)


def run_batch(inputs, output, nlp, n_process, batch_size, text_column, id_column, summary, max_chars) -> None:
    from tqdm import tqdm

    from .batch import annotate_corpus

    bar = tqdm(unit="doc", file=sys.stderr, dynamic_ncols=True)
    start_chars = [0]

    def progress(done: int, chars: int, total: Optional[int]) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        elapsed = bar.format_dict.get("elapsed") or 1e-9
        bar.set_postfix_str(f"{(chars - start_chars[0]) / elapsed:,.0f} chars/s")

    try:
        result = annotate_corpus(inputs, output, nlp=nlp, n_process=n_process, batch_size=batch_size,
                                 text_column=text_column, id_column=id_column, summary_csv=summary,
                                 max_chars=max_chars, progress=progress)
    finally:
        bar.close()
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    if result.all_failed:
        raise typer.Exit(code=1)


@app.command()
def train(
    data: List[Path] = typer.Option(..., "--data", help="Unit JSONL files and/or reviewer JSON files."),
    out: Path = typer.Option(..., "--out", help="Where to write the pipeline directory."),
    from_model: Optional[Path] = typer.Option(None, "--from", help="Take settings and known labels from this pipeline."),
    seeds: Optional[Path] = typer.Option(None, help="Directory of the documents named in the JSONL 'doc' fields."),
    allow_new_labels: bool = typer.Option(False, help="Accept labels beyond the known ones (e.g. a sixth theme)."),
    allow_rare_labels: bool = typer.Option(False, help="Train labels with fewer than 5 positives (with a warning)."),
    cv: bool = typer.Option(True, help="Run leave-one-document-out cross-validation and store it in meta.json."),
):
    """Train a pipeline on labelled units; the existing OUT is replaced only if training succeeds."""
    from .training import train as train_fn

    try:
        meta = train_fn(data, out, from_model=from_model, seeds_dir=seeds, allow_new_labels=allow_new_labels,
                        allow_rare_labels=allow_rare_labels, cv=cv, progress=_say)
    except PolicyNLPError as exc:
        _fail(exc)
    if meta.get("cv"):
        from .evaluation import format_metrics

        typer.echo(format_metrics(meta["cv"], "leave-one-document-out on the training documents:"))
    typer.echo(f"labels: {', '.join(meta['labels'])}; thresholds: "
               + ", ".join(f"{k}={v:.3f}" for k, v in meta["thresholds"].items()))


@app.command()
def evaluate(
    data: List[Path] = typer.Option(..., "--data", help="Labelled unit JSONL files and/or reviewer JSON files."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory to score (default: the shipped model)."),
    cv: Optional[str] = typer.Option(None, help="'lodo': leave-one-document-out training and scoring instead."),
    seeds: Optional[Path] = typer.Option(None, help="Directory of the documents named in the JSONL 'doc' fields."),
    output: Optional[Path] = typer.Option(None, "--output", help="Also write the metrics as JSON."),
):
    """Score a model (or leave-one-document-out training) on labelled units."""
    from .evaluation import cross_validate, evaluate as evaluate_fn, format_metrics
    from .pipeline import shipped_model_path

    try:
        if cv is not None:
            if cv != "lodo":
                raise typer.BadParameter("only --cv lodo is supported", param_hint="--cv")
            metrics = cross_validate(data, seeds, progress=_say)
            title = "leave-one-document-out:"
        else:
            metrics = evaluate_fn(model or shipped_model_path(), data, seeds)
            title = f"model {model or shipped_model_path()}:"
    except PolicyNLPError as exc:
        _fail(exc)
    typer.echo(format_metrics(metrics, title))
    if output is not None:
        output.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        _say(f"metrics written to {output}")


def main() -> None:
    app(prog_name="policy-nlp")


if __name__ == "__main__":
    main()
