"""`policy-nlp` / `python -m policy_nlp`: a thin command line over the library's functions.

Each command calls an importable function that returns data; only this module prints.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .api import BATCH_CHARS, MAX_CHARS
from .atomic import atomic_write
from .corpus.outputs import check_writable
from .errors import DataError, PolicyNLPError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Sentence-level themes of Chinese rule-of-law government reports.")


def _fail(exc: PolicyNLPError) -> None:
    typer.echo(f"Error {exc}", err=True)
    raise typer.Exit(code=2)


def _fail_write(exc: OSError, path) -> None:
    """A file that could not be written (full disk, no permission): E103, exit code 2."""
    _fail(DataError("E103", path=exc.filename or path, detail=exc.strerror or str(exc)))


def _say(msg: str) -> None:
    typer.echo(msg, err=True)


@app.command()
def download(
    wheel: Optional[Path] = typer.Option(None, help="A local copy of pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl."),
    force: bool = typer.Option(False, help="Fetch and convert again even if cached."),
):
    """Fetch the pkuseg `default` segmentation model into the user cache (POLICY_NLP_CACHE)."""
    from tqdm import tqdm

    from .components import pkuseg_model

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
    ctx: typer.Context,
    inputs: List[Path] = typer.Argument(..., help="Report files (.txt, .html/.htm, .docx, .pdf), directories "
                                                  "(their report files, recursively; other entries are listed "
                                                  "as not read), or .jsonl/.csv/.parquet tables."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="A .jsonl or .parquet file (streamed, resumable), or a directory "
                                               "for one .json per input. Default: print JSON to stdout."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory (default: the shipped model)."),
    segmenter: str = typer.Option("pkuseg", help="pkuseg, or char (offline, no weights)."),
    n_process: int = typer.Option(1, "--n-process", min=1, help="Worker processes (with -o FILE.jsonl/.parquet)."),
    engine: str = typer.Option("local", "--engine", help="With -o FILE.jsonl/.parquet: local (this machine's "
                                                         "processes) or ray (a Ray cluster; pip install "
                                                         "\"policy_nlp[ray]\")."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="With --engine ray: the cluster to "
                                                                          "join (auto, HOST:6379, ray://HOST:10001); "
                                                                          "default: a local Ray instance."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="With --engine ray: actors, each "
                                                                         "holding the pipeline on one CPU "
                                                                         "(default 2)."),
    batch_size: int = typer.Option(8, "--batch-size", min=1,
                                   help="With -o FILE.jsonl/.parquet: documents a batch (a worker process takes a "
                                        "batch at a time); with the local engine a batch also holds at most "
                                        f"{BATCH_CHARS:,} characters past its first document."),
    text_column: str = typer.Option("text", help="Text column of table inputs."),
    id_column: Optional[str] = typer.Option(None, help="Id column of table inputs (default: FILE#ROW)."),
    summary: Optional[Path] = typer.Option(None, help="With -o FILE.jsonl/.parquet: write a per-report summary "
                                                     "table (.csv UTF-8 with BOM, .xlsx or .parquet)."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="With --summary: a CSV (id, region, year, "
                                                                     "kind, title, issuer) overriding the "
                                                                     "extracted metadata."),
    max_chars: int = typer.Option(MAX_CHARS, help="Documents longer than this are recorded as errors (E022); "
                                                  "memory grows with a document's length."),
    fmt: str = typer.Option("json", "--format", help="Without -o: json (reviewer JSON; JSONL, one document a "
                                                     "line, for several inputs) or table (one line per unit)."),
    progress: bool = typer.Option(True, help="Show a progress bar (with -o FILE.jsonl/.parquet)."),
    refresh: bool = typer.Option(False, help="With -o FILE.jsonl/.parquet: annotate again the finished records "
                                             "made by another model, or whose input changed, and error records."),
    explain: bool = typer.Option(False, "--explain", help="Add per unit and label the features that moved the "
                                                          "score (reviewer JSON field 'explanations')."),
    explain_top: int = typer.Option(8, "--explain-top", min=1, help="With --explain: features per label."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With -o DIR: replace .json files that differ from "
                                                              "the new output (never ones holding reviewed units)."),
    overwrite_reviewed: bool = typer.Option(False, "--overwrite-reviewed",
                                            help="With -o DIR: also replace files holding reviewed units, losing "
                                                 "the reviewers' labels."),
    update: bool = typer.Option(False, "--update", help="INPUTS are reviewer JSON files (or directories of them): "
                                                        "annotate them again with the model, keep the reviewed "
                                                        "units' labels and refresh the rest; written in place or "
                                                        "into -o DIR."),
):
    """Annotate reports and write reviewer JSON (or a readable table)."""
    from .corpus import annotate_modes as modes
    from .pipeline import explain_config, load

    if fmt not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    if engine not in ("local", "ray"):
        raise typer.BadParameter("use local or ray", param_hint="--engine")
    default = {param.name: param.default for param in ctx.command.params}  # as the options above declare them
    given = {"--format table": fmt == "table", "--summary": summary is not None, "--refresh": refresh,
             "--n-process": n_process > 1, "--batch-size": batch_size != default["batch_size"],
             "--no-progress": not progress, "--engine ray": engine == "ray", "--ray-address": ray_address is not None,
             "--workers": workers is not None, "--metadata": metadata is not None,
             "--text-column": text_column != default["text_column"], "--id-column": id_column is not None,
             "--max-chars": max_chars != default["max_chars"], "--explain": explain,
             "--explain-top": explain_top != default["explain_top"],
             "--overwrite": overwrite, "--overwrite-reviewed": overwrite_reviewed}
    try:
        mode = modes.annotate_mode(output, update)
        if mode == modes.UPDATE and output is not None and output.suffix.lower() in (".jsonl", ".parquet"):
            raise typer.BadParameter("with --update, -o is a directory", param_hint="-o")
        modes.refuse_options(mode, given)
        ray = modes.ray_engine(engine == "ray", ray_address, workers, n_process, mode)
        if mode != modes.UPDATE:
            check_writable(output if mode != modes.STDOUT else None, directory=mode == modes.DIR)
            check_writable(summary)
        nlp = load(model, segmenter=segmenter)
        top = explain_top if explain else 0
        explain_config(nlp, top)  # E160 before any work when the pipeline cannot explain
    except PolicyNLPError as exc:
        _fail(exc)
    try:
        if mode == modes.UPDATE:
            _print_updates(modes.update_reports(inputs, output, nlp))
        elif mode == modes.BATCH:
            _print_batch(lambda bar: modes.annotate_corpus_file(
                inputs, output, nlp, n_process=n_process, batch_size=batch_size, text_column=text_column,
                id_column=id_column, summary=summary, metadata=metadata, max_chars=max_chars, refresh=refresh,
                explain_top=top, engine=ray, progress=bar), progress, summary)
        else:
            _print_reports(modes.annotate_reports(inputs, output, nlp, single_file=mode == modes.FILE,
                                                  text_column=text_column, id_column=id_column,
                                                  max_chars=max_chars, overwrite=overwrite,
                                                  overwrite_reviewed=overwrite_reviewed, explain_top=top),
                           fmt, output, single_file=mode == modes.FILE)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output or "stdout")


def format_table(doc) -> str:
    """One line per unit: offsets, kind, labels, the innermost section heading, the text."""
    lines = [f"# {doc.id or ''}  ({len(doc.units)} units, {doc.script}, model {doc.model.get('name')})"]
    if doc.source:
        lines.append("# source: " + ", ".join(f"{k} {v}" for k, v in doc.source.items() if k != "file"))
    lines += [f"# warning {w['code']}: {w['message']}" for w in doc.warnings]
    for u in doc.units:
        labels = ",".join(u.labels) or "-"
        text = u.text if len(u.text) <= 60 else u.text[:59] + "…"
        lines.append(f"{u.start:>6}-{u.end:<6} {u.kind:<11} {labels:<45} {text}")
    return "\n".join(lines)


def _exit_if_all_failed(failures: int, total: int) -> None:
    if total and failures == total:
        _say(f"Error {DataError('E052', count=total)}")
        raise typer.Exit(code=1)


def _print_reports(results, fmt: str, output: Optional[Path], single_file: bool) -> None:
    """Without -o: reviewer JSON (or a table) on stdout: pretty JSON for one document, JSONL (one document a
    line) for several; with -o DIR or -o FILE.json: one line per file written on stderr. Errors go to stderr
    with the input's name and the fix; exit code 1 if every input failed, or if an input was not written
    because another had taken its output name (E120)."""
    from .errors import fix_for

    failures = total = clashes = 0
    first = None  # stdout JSON: the first document waits until we know whether a second one follows
    for doc_id, result, error, target in results:
        total += 1
        if result is None:
            failures += 1
            clashes += error.startswith("[E120]")
            fix = fix_for(error)
            _say(f"{doc_id}: {error}" + (f" Fix: {fix}" if fix else ""))
        elif target is not None:
            _say(f"{doc_id} → {target} ({len(result.units)} units)")
        elif fmt == "table":
            typer.echo(format_table(result))
        elif first is None:
            first = result
        else:
            if first is not True:
                typer.echo(first.to_json(indent=None))
                first = True
            typer.echo(result.to_json(indent=None))
    if fmt == "json" and output is None and first not in (None, True):
        typer.echo(first.to_json())
    _exit_if_all_failed(failures, total)
    if clashes:
        _say(f"{clashes} input(s) not written: another input had taken their output name (E120).")
        raise typer.Exit(code=1)


def _print_updates(results) -> None:
    """--update: one line per reviewer file on stderr; exit 1 if every file failed."""
    failures = total = 0
    for source, target, counts, error in results:
        total += 1
        if error is not None:
            failures += 1
            _say(f"{source}: {error}")
        else:
            _say(f"{source} → {target}: {counts['kept']} reviewed unit(s) kept, {counts['refreshed']} refreshed"
                 + (f", {counts['dropped']} new unit(s) gave way to reviewed spans" if counts["dropped"] else ""))
    _exit_if_all_failed(failures, total)


def _print_batch(run, show_progress: bool, summary: Optional[Path]) -> None:
    """-o FILE.jsonl/.parquet: `run(progress)` with a progress bar (documents, characters per second and, when
    the inputs can be counted, ETA); prints the run's summary as JSON; exit 1 if every document failed."""
    from tqdm import tqdm

    bar = None

    def on_progress(p) -> None:
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            bar = tqdm(total=p.total, unit="doc", desc="annotate", file=sys.stderr, dynamic_ncols=True)
        elapsed = bar.format_dict.get("elapsed") or 1e-9
        bar.set_postfix_str(f"{p.characters / elapsed:,.0f} chars/s, {p.failed} failed"
                            + (f", {p.skipped} already done" if p.skipped else ""), refresh=False)
        bar.update(p.done - bar.n)

    try:
        result = run(on_progress)
    finally:
        if bar is not None:
            bar.close()
    for entry in result["not_read"]:
        _say(f"{entry['id']}: not read, {entry['error']}")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    if summary:
        _say(f"summary written to {summary}")
    if result["all_failed"]:
        _say(f"Error {DataError('E052', count=result['documents'])}")
        raise typer.Exit(code=1)


@app.command()
def train(
    data: List[Path] = typer.Option(..., "--data", help="Unit JSONL files, reviewer JSON files (units marked "
                                                        "\"reviewed\": true), or directories of them; repeatable, "
                                                        "later files override earlier ones."),
    out: Path = typer.Option(..., "--out", help="Where to write the pipeline directory."),
    from_model: Optional[Path] = typer.Option(None, "--from", help="Take settings and known labels from this pipeline."),
    seeds: Optional[Path] = typer.Option(None, help="Directory of the documents named in the JSONL 'doc' fields."),
    allow_new_labels: bool = typer.Option(False, help="Also accept new labels that look like misspellings of "
                                                      "known ones (new labels are accepted otherwise)."),
    allow_rare_labels: bool = typer.Option(False, help="Train labels with fewer than 5 positives (with a warning)."),
    cv: bool = typer.Option(True, help="Cross-validate (grouped by document) and store the scores in meta.json."),
    name: str = typer.Option("reports_custom", "--name", help="The model's name (meta.json; the reviewer JSON "
                                                              "records it as zh_NAME)."),
    version: Optional[str] = typer.Option(None, "--version", help="The model's version (default: 0.1.0+ the "
                                                                  "first 8 hex digits of the data's SHA-256)."),
    n_jobs: Optional[int] = typer.Option(None, "--n-jobs", min=1, help="Worker processes for independent fits "
                                                                       "(default: the CPU count on large data)."),
):
    """Train a pipeline on labelled units; the existing OUT is replaced only if training succeeds."""
    from .learn.training import train as train_fn

    try:
        meta = train_fn(data, out, from_model=from_model, seeds_dir=seeds, allow_new_labels=allow_new_labels,
                        allow_rare_labels=allow_rare_labels, cv=cv, name=name, version=version, progress=_say,
                        n_jobs=n_jobs)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, out)
    if meta.get("cv"):
        from .learn.evaluation import format_metrics

        typer.echo(format_metrics(meta["cv"], f"{meta['cv'].get('cv', 'cross-validation')} on the training documents:"))
    typer.echo(f"model {meta['model']['name']} {meta['model']['version']}; reviewed units per source: "
               + (", ".join(f"{k}={v['reviewed_units']}" for k, v in meta["data_sources"].items()) or "none"))
    typer.echo(f"labels: {', '.join(meta['labels'])}; thresholds: "
               + ", ".join(f"{k}={v:.3f}" for k, v in meta["thresholds"].items()))


@app.command()
def evaluate(
    data: List[Path] = typer.Option(..., "--data", help="Labelled unit JSONL files and/or reviewer JSON files."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory to score (default: the shipped model)."),
    cv: Optional[str] = typer.Option(None, help="Train and score by cross-validation instead: 'lodo' (leave one "
                                                "document out), 'kfold' (grouped 5-fold) or 'auto' (lodo up to 5 "
                                                "documents, kfold above)."),
    seeds: Optional[Path] = typer.Option(None, help="Directory of the documents named in the JSONL 'doc' fields."),
    output: Optional[Path] = typer.Option(None, "--output", help="Also write the metrics as JSON."),
):
    """Score a model (or leave-one-document-out training) on labelled units."""
    from .learn.crossval import cross_validate
    from .learn.evaluation import evaluate as evaluate_fn, format_metrics, format_per_document
    from .pipeline import shipped_model_path

    if cv is not None and model is not None:
        raise typer.BadParameter("--model and --cv exclude each other: --cv lodo trains its own models",
                                 param_hint="--cv")
    try:
        check_writable(output)
        if cv is not None:
            if cv not in ("lodo", "kfold", "auto"):
                raise DataError("E073", mode=cv)
            metrics = cross_validate(data, seeds, progress=_say, scheme=cv)
            title = f"{metrics['cv']} (each document scored by a model trained without it):"
        else:
            _say(f"scoring {model or shipped_model_path()}")
            metrics = evaluate_fn(model or shipped_model_path(), data, seeds)
            title = f"model {model or shipped_model_path()}:"
    except PolicyNLPError as exc:
        _fail(exc)
    typer.echo(format_metrics(metrics, title))
    typer.echo(format_per_document(metrics))
    if output is not None:
        try:
            atomic_write(output, json.dumps(metrics, ensure_ascii=False, indent=2))
        except OSError as exc:
            _fail_write(exc, output)
        _say(f"metrics written to {output}")


@app.command()
def export(
    inputs: List[Path] = typer.Argument(..., help="Reviewer JSON files, directories of them, a JSONL output of "
                                                  "`annotate -o FILE.jsonl`, or report .txt files (annotated now)."),
    output: Path = typer.Option(..., "-o", "--output", help="Label Studio: the tasks .json; doccano: a .jsonl."),
    fmt: str = typer.Option(..., "--format", help="label-studio or doccano."),
    config: Optional[Path] = typer.Option(None, help="Label Studio: where to write the labeling config XML "
                                                     "(default: OUTPUT with .xml)."),
    model: Optional[Path] = typer.Option(None, help="For .txt inputs: the pipeline directory (default: shipped)."),
    segmenter: str = typer.Option("pkuseg", help="For .txt inputs: pkuseg, or char."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT."),
):
    """Write units as tasks for Label Studio or doccano, the model's labels pre-filled."""
    from .corpus.review import export_documents

    try:
        for path in (output, (config or output.with_suffix(".xml")) if fmt == "label-studio" else None):
            check_writable(path)
        summary = export_documents(inputs, output, fmt, config=config, model=model, segmenter=segmenter,
                                   overwrite=overwrite)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output)
    _say(f"{summary['units']} units of {summary['documents']} report(s) written to {output}")
    if summary.get("config"):
        _say(f"labeling config written to {summary['config']}: paste it into the project's "
             "Settings → Labeling Interface → Code")
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@app.command(name="import")
def import_(
    exports: List[Path] = typer.Argument(..., help="Label Studio JSON/JSON-MIN exports or doccano JSONL exports."),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the reviewer JSON files."),
    documents: List[Path] = typer.Option([], "--documents", help="The reviewer JSON files (or directories) the "
                                                                 "tasks were exported from; report folders work "
                                                                 "too."),
    seeds: Optional[Path] = typer.Option(None, help="A folder of report .txt files named by the tasks' doc field."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace files in OUTPUT that hold other texts."),
    whole_reports: bool = typer.Option(False, "--whole-reports", help="Accept an import that marks every unit of a "
                                                                      "report reviewed at once."),
):
    """Read a labelling tool's export back into reviewer JSON (reviewed units marked "reviewed": true)."""
    from .corpus.review import import_reviews

    try:
        check_writable(output, directory=True)
        summary = import_reviews(exports, output, documents=documents, seeds_dir=seeds, overwrite=overwrite,
                                 whole_reports=whole_reports)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output)
    for row in summary["files"]:
        _say(f"{row['doc']} → {row['path']}: {row['reviewed']} reviewed unit(s), {row['changed']} label set(s) "
             "changed by the reviewer")
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@app.command()
def indicators(
    inputs: List[Path] = typer.Argument(..., help="Report files (.txt), directories of them, or reviewer JSON files."),
    output: Path = typer.Option(..., "-o", "--output", help="The long table: .csv, .xlsx or .parquet."),
    pivot_output: Optional[Path] = typer.Option(None, "--pivot", help="Also the wide table (report × indicator)."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory (default: the shipped model)."),
    segmenter: str = typer.Option("char", help="char (default: indicators do not depend on it) or pkuseg."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="A CSV overriding the extracted metadata."),
):
    """Quantitative indicators of each report as a table: one row per (report, indicator)."""
    from .corpus.batch import annotate_to_directory
    from .corpus.indicator_table import indicator_rows, pivot
    from .corpus.metadata import read_overrides
    from .corpus.tables import with_report_columns, write_rows
    from .pipeline import load

    try:
        overrides = read_overrides(metadata) if metadata else None
        for path in (output, pivot_output):
            check_writable(path)
        nlp = load(model, segmenter=segmenter)
        docs = []
        for doc_id, result, error, _ in annotate_to_directory(inputs, None, nlp=nlp):
            if result is None:
                _say(f"{doc_id}: {error}")
                continue
            result.id = str(doc_id)
            docs.append(result)
        reports = [{"id": d.id, "text": d.text, "metadata": d.metadata} for d in docs]
        rows = indicator_rows(docs)
        write_rows(with_report_columns(rows, reports, roots=inputs, overrides=overrides), output)
        _say(f"{len(rows)} indicators of {len(docs)} reports written to {output}")
        if pivot_output is not None:
            write_rows(with_report_columns(pivot(rows), reports, roots=inputs, overrides=overrides), pivot_output)
            _say(f"pivot written to {pivot_output}")
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output)


@app.command()
def tables(
    inputs: List[Path] = typer.Argument(..., help="Annotated reports: reviewer JSON files, directories of them, "
                                                  "annotated corpora (.jsonl/.parquet)."),
    summary: Optional[Path] = typer.Option(None, "--summary", help="One row per report (.csv, .xlsx, .parquet)."),
    units: Optional[Path] = typer.Option(None, "--units", help="The long table: one row per unit."),
    indicator_table: Optional[Path] = typer.Option(None, "--indicators", help="One row per (report, indicator)."),
    pivot_output: Optional[Path] = typer.Option(None, "--pivot", help="One row per report, a column per indicator."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="A CSV overriding the extracted metadata."),
):
    """Tables of annotated reports for spreadsheets, pandas and R, with stable ids, region, year and kind."""
    from .corpus.tables import write_tables

    try:
        for path in (summary, units, indicator_table, pivot_output):
            check_writable(path)
        written = write_tables(inputs, summary=summary, units=units, indicators=indicator_table,
                               pivot=pivot_output, metadata=metadata)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, "the table")
    for path, n in written.items():
        _say(f"{n} rows → {path}")


@app.command()
def review(
    reports: List[Path] = typer.Argument(..., help="Reviewer JSON files (.json), annotated corpora (.jsonl), or "
                                                   "report files/directories to annotate now (with --explain)."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML page to write."),
    model: Optional[Path] = typer.Option(None, help="Pipeline for reports annotated now (default: the shipped model)."),
    segmenter: str = typer.Option("pkuseg", help="pkuseg, or char, for reports annotated now."),
    title: Optional[str] = typer.Option(None, help="The page title (default: the report's id)."),
    margin: float = typer.Option(0.1, min=0.0, max=1.0, help="'uncertain': a score within this of its threshold."),
):
    """Write one self-contained HTML review page (no network, no external assets) for reports or a corpus."""
    from .corpus.review_page import write_review

    try:
        check_writable(output)
        needs_model = any(p.suffix.lower() not in (".json", ".jsonl") for p in reports)
        nlp = None
        if needs_model:
            from .pipeline import load

            nlp = load(model, segmenter=segmenter)
        result = write_review(reports, output, nlp=nlp, title=title, margin=margin)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output)
    for note in result["notes"]:
        _say(note)
    _say(f"{result['documents']} report(s), {result['units']} units → {result['output']}")


@app.command()
def compare(
    inputs: List[Path] = typer.Argument(..., help="Annotated reports: reviewer JSON files, directories of them, "
                                                  "annotated corpora (.jsonl/.parquet)."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML page to write."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="A CSV overriding the extracted metadata."),
    title: Optional[str] = typer.Option(None, help="The page title."),
    reviews: bool = typer.Option(True, help="Also write each report's review page into OUTPUT-STEM_reviews/ and "
                                            "link it."),
):
    """Write one self-contained HTML page comparing reports across regions, years and kinds."""
    from .corpus.compare_page import write_compare

    try:
        result = write_compare(inputs, output, metadata=metadata, title=title, reviews=reviews)
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(DataError("E103", path=exc.filename or output, detail=exc.strerror or str(exc)))
    _say(f"{result['reports']} report(s) → {result['output']}"
         + (f", review pages in {result['reviews']}" if result["reviews"] else "")
         + (f"; {result['skipped']} error record(s) skipped" if result["skipped"] else ""))


@app.command()
def suggest(
    corpus: List[Path] = typer.Option(..., "--corpus", help="Unlabelled reports: .txt files, directories of them, "
                                                            "or .jsonl/.csv/.parquet tables; repeatable."),
    output: Path = typer.Option(..., "-o", "--output", help="Label Studio tasks (JSON list) to write."),
    model: Optional[Path] = typer.Option(None, help="A pipeline directory (default: the shipped model)."),
    n: int = typer.Option(50, "-n", help="How many units to pick."),
    doccano: Optional[Path] = typer.Option(None, help="Also write the units as doccano JSONL."),
    label_config: Optional[Path] = typer.Option(None, "--label-config",
                                                help="Also write the Label Studio labelling config (XML)."),
    segmenter: str = typer.Option("char", help="char (default: labels do not depend on it) or pkuseg."),
    labelled: Optional[List[Path]] = typer.Option(None, "--labelled", help="Labelled data whose reports are skipped "
                                                                          "(default: the packaged training data)."),
    include_labelled: bool = typer.Option(False, help="Also rank units of reports that are labelled already."),
    blind: bool = typer.Option(False, help="Write the tasks without the model's labels and scores (label blind)."),
    text_column: str = typer.Option("text", help="Text column of table inputs."),
    id_column: Optional[str] = typer.Option(None, help="Id column of table inputs."),
):
    """Rank units of unlabelled reports by uncertainty, spread over reports and sections, as labelling tasks."""
    from .corpus.review_formats import label_studio_config, write_doccano, write_label_studio
    from .learn.suggest import suggest as suggest_fn
    from .pipeline import THEMES, load, shipped_model_path

    try:
        for path in (output, doccano, label_config):
            check_writable(path)
        nlp = load(model or shipped_model_path(), segmenter=segmenter)
        units = suggest_fn(nlp, corpus, n, labelled=labelled or None, skip_labelled=not include_labelled,
                           text_column=text_column, id_column=id_column, blind=blind, notes=_say)
        version = f"{nlp.meta.get('name', 'pipeline')}-{nlp.meta.get('version', '0')}"
        write_label_studio(units, output, model_version=version)
        _say(f"{len(units)} Label Studio tasks → {output}")
        if doccano is not None:
            write_doccano(units, doccano)
            _say(f"doccano JSONL → {doccano}")
        if label_config is not None:
            atomic_write(label_config, label_studio_config(nlp.get_pipe(THEMES).labels))
            _say(f"Label Studio labelling config → {label_config}")
    except PolicyNLPError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_write(exc, output)
    for u in units[:10]:
        score = "" if blind else f"margin {u['margin']:.3f} ({u['nearest_label']}) "
        typer.echo(f"{u['rank']:>3} {score}{u['doc']} {u['start']}-{u['end']} {u['text'][:40]}")
    if len(units) > 10:
        typer.echo(f"… {len(units) - 10} more in {output}")


def main() -> None:
    app(prog_name="policy-nlp")


if __name__ == "__main__":
    main()
