"""Training: labelled units → a complete pipeline directory (atomically written) and its metrics.

One path: the labelled corpus becomes spaCy Examples (`examples.corpus_examples`) and the themes component's
`initialize` fits the estimator on them, exactly as `nlp.initialize` would; cross-validation reuses the
fitted estimators (`crossval.EstimatorCache`).
"""
from __future__ import annotations

import ctypes
import datetime as _dt
import hashlib
import os
import sys
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from ..corpus.outputs import OutLock
from ..errors import DataError
from ..model_dir import record_files
from ..model.thresholds import cv_name
from ..version import library_versions
from .crossval import EstimatorCache, cross_validate
from .examples import corpus_examples
from .labelled_data import DEFAULT_LABELS, LabelledCorpus, read_corpus

MIN_POSITIVES = 5


def check_label_counts(corpus: LabelledCorpus, allow_rare_labels: bool, warn: Callable[[str], None],
                       minimum: int = MIN_POSITIVES) -> None:
    rare = {label: count for label, count in corpus.label_counts().items() if count < minimum}
    if not rare:
        return
    err = DataError("E038", minimum=minimum, names=", ".join(f"'{label}'" for label in rare),
                    labels="; ".join(f"label '{label}' has {count} positive units" for label, count in rare.items()))
    if not allow_rare_labels:
        raise err
    warn(f"WARNING: {err.message} Training them anyway (--allow-rare-labels).")


def is_pipeline_dir(path: Path) -> bool:
    return (path / "config.cfg").is_file() and (path / "meta.json").is_file()


def check_out_dir(out: Path) -> None:
    """`out` may be new, an empty directory or a pipeline directory: anything else is not replaced."""
    if out.exists() and not (out.is_dir() and (is_pipeline_dir(out) or not any(out.iterdir()))):
        raise DataError("E072", path=out)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        rc = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    except (OSError, AttributeError):
        return False
    return rc == 0


def _between_renames() -> None:
    """Called between the two renames of the fallback replacement (tests inject a crash here)."""


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move `tmp` to `out`. Where the system can, the two directories are swapped atomically, so `out` is
    at every instant either the old or the new pipeline; elsewhere the old `out` is first renamed to
    `.NAME.old-PID`, and a run killed between the two renames is repaired by `recover_out` at the start of
    the next run."""
    if out.exists() and _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the old pipeline
        return
    backup = None
    if out.exists():
        backup = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, backup)
    _between_renames()
    try:
        os.replace(tmp, out)
    except BaseException:
        if backup is not None:
            os.replace(backup, out)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def recover_out(out: Path) -> list[str]:
    """Repair what a killed run left next to `out` (call it holding the lock): a `.NAME.old-*` pipeline is
    put back when `out` is missing, and removed otherwise; `.NAME.tmp-*` build directories are removed.
    Returns what was done, one line each."""
    done: list[str] = []
    if not out.parent.is_dir():
        return done
    for backup in sorted(out.parent.glob(f".{out.name}.old-*")):
        if not out.exists() and is_pipeline_dir(backup):
            os.replace(backup, out)
            done.append(f"restored the previous pipeline {out} from {backup.name} (left by an interrupted run)")
        else:
            shutil.rmtree(backup, ignore_errors=True)
            done.append(f"removed {backup.name} (left by an interrupted run)")
    for tmp in sorted(out.parent.glob(f".{out.name}.tmp-*")):
        _remove(tmp)
        done.append(f"removed {tmp.name} (left by an interrupted run)")
    return done


def _remove(path: Path) -> None:
    """Remove a leftover: a directory with what it holds, a file or a symbolic link itself (never what it
    leads to)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def train(data: Sequence[str | Path] | str | Path | None, out: str | Path, *, from_model: str | Path | None = None,
          seeds_dir: str | Path | None = None, allow_new_labels: bool = False, allow_rare_labels: bool = False,
          cv: bool = True, name: str = "reports_custom", version: str | None = None, hyperparameters: dict | None = None,
          progress: Callable[[str], None] | None = None, n_jobs: int | None = None) -> dict:
    """Train a pipeline on labelled units and write it to `out`; return its metadata (with CV metrics).

    `data`: a unit JSONL file, a reviewer JSON file (only units marked `"reviewed": true`), a directory of
    them, or a list of these; merged in the order given (see `read_corpus`); None = the packaged labelled
    reports. The label set comes from the data; a label with fewer than 5 positive units is refused (E038)
    unless `allow_rare_labels` (then a warning is given).
    `from_model`: take the pipeline settings (tokenizer, rules, hyperparameters) and the known labels of an
    existing pipeline, and learn its theme model anew from `data`. `hyperparameters` override single
    estimator settings (keys of `model.estimator.DEFAULT_HYPERPARAMETERS`).
    `cv`: also score the training recipe by grouped cross-validation and store it in meta.json.
    `name`, `version`: the model's name and version in meta.json (the reviewer JSON names the model
    `zh_<name>` and its version); the default version is `0.1.0+<first 8 hex digits of the SHA-256 of the
    data files' hashes>`, so a retrained model never passes for the shipped `zh_reports 0.1.0`.
    meta.json records each data file's SHA-256, format, units and reviewed units (`data_sources`).
    `n_jobs`: worker processes for the independent fits of a tuning or cross-validation fold (default: the
    CPU count once the training set is large, `model.thresholds.parallel_jobs`); the model is the same.
    Nothing is written unless training succeeds: the directory is built next to `out` and moved into place
    at the end; an existing `out` that is not a pipeline directory (nor empty) is refused (E072).
    A second run on the same `out` stops with E105; leftovers of a killed run are repaired first.
    """
    started = time.monotonic()

    def say(msg: str) -> None:
        if progress:
            progress(f"[{time.monotonic() - started:5.1f}s] {msg}")

    out = Path(out)
    if out.is_symlink():  # replacing it would replace the link by a directory and leave a link behind
        raise DataError("E139", path=out, detail="it is a symbolic link; give the directory it leads to")
    with OutLock(out):
        for line in recover_out(out):
            say(f"note: {line}")
        return _train_locked(data, out, from_model=from_model, seeds_dir=seeds_dir,
                             allow_new_labels=allow_new_labels, allow_rare_labels=allow_rare_labels, cv=cv,
                             name=name, version=version, hyperparameters=hyperparameters, say=say, n_jobs=n_jobs)


def _train_locked(data, out: Path, *, from_model, seeds_dir, allow_new_labels: bool, allow_rare_labels: bool,
                  cv: bool, name: str, version: str, hyperparameters: dict | None, say: Callable[[str], None],
                  n_jobs: int | None = None) -> dict:
    check_out_dir(out)
    known, settings, base_rules = _base_settings(from_model, hyperparameters, say)
    corpus = _read_training_data(data, seeds_dir, known, allow_new_labels, allow_rare_labels, say)
    work = _pipeline("char", settings, base_rules)  # makes the training docs: units and features work on characters
    cache = EstimatorCache(n_jobs)
    metrics = _cross_validated(corpus, work, cache, say) if cv else None
    nlp = _fit_final(corpus, work, _pipeline("pkuseg", settings, base_rules), cache, say)
    if version is None:
        digest = hashlib.sha256("\n".join(sorted(corpus.file_hashes.values())).encode()).hexdigest()
        version = f"0.1.0+{digest[:8]}"
    nlp.meta.update({
        "name": name, "version": version,
        "description": "Themes of the units of Chinese rule-of-law government reports (policy_nlp).",
        "license": "MIT",
    })
    nlp.meta["policy_nlp"] = _training_record(nlp, corpus, metrics, name, version, from_model, allow_new_labels,
                                              allow_rare_labels)
    _save(nlp, out, say)
    return nlp.meta["policy_nlp"]


def _base_settings(from_model, hyperparameters: dict | None,
                   say: Callable[[str], None]) -> tuple[list, dict, object]:
    """The known labels, the pipeline settings and the rules to train with: the defaults, or those of
    `from_model` (its hyperparameters overridden by `hyperparameters`)."""
    from ..components.structure import rules_of
    from ..pipeline import THEMES, load

    if from_model is None:
        return list(DEFAULT_LABELS), {"hyperparameters": dict(hyperparameters or {})}, None
    say(f"reading settings and labels of {from_model}")
    base = load(from_model, segmenter="char")
    base_themes = base.get_pipe(THEMES)
    known = list(dict.fromkeys(list(base_themes.labels) + list(DEFAULT_LABELS)))
    settings = {"opencc_config": base.tokenizer.opencc_config, "pkuseg_model": base.tokenizer.pkuseg_model,
                "hyperparameters": {**base_themes.hyperparameters, **(hyperparameters or {})}}
    return known, settings, rules_of(base)


def _read_training_data(data, seeds_dir, known: list, allow_new_labels: bool, allow_rare_labels: bool,
                        say: Callable[[str], None]) -> LabelledCorpus:
    """The labelled corpus of `data` (default: the packaged units), its merge notes and label counts said."""
    if isinstance(data, (str, Path)):
        data = [data]
    paths = [Path(p) for p in data] if data else []
    say(f"reading {len(paths)} data file(s): {', '.join(map(str, paths))}" if paths else "reading the packaged labelled units")
    corpus = read_corpus(paths or None, seeds_dir, known_labels=known, allow_new_labels=allow_new_labels)
    for line in corpus.report:
        say(line if line.startswith("WARNING") else f"note: {line}")
    say(f"{len(corpus.units)} units in {len(corpus.documents)} documents; {len(corpus.labels)} labels: "
        + ", ".join(f"{k}={v}" for k, v in corpus.label_counts().items()))
    check_label_counts(corpus, allow_rare_labels, say)
    return corpus


def _pipeline(segmenter: str, settings: dict, base_rules):
    """A fresh pipeline with `settings`, holding `base_rules` when training from a model."""
    from ..pipeline import STRUCTURE, THEMES, create_pipeline

    nlp = create_pipeline(segmenter, **settings)
    if base_rules is not None:
        nlp.get_pipe(STRUCTURE).rules = base_rules
        nlp.get_pipe(THEMES).rules = base_rules
    return nlp


def _cross_validated(corpus: LabelledCorpus, work, cache: EstimatorCache, say: Callable[[str], None]) -> dict | None:
    """The cross-validated metrics of the recipe (None, with a warning, for a single document)."""
    if len(corpus.documents) < 2:
        say("WARNING: cross-validation skipped: it needs at least 2 documents")
        return None
    say(f"cross-validation over {len(corpus.documents)} documents")
    metrics = cross_validate(corpus=corpus, progress=say, nlp=work, cache=cache)
    say(f"cross-validated macro F1 {metrics['macro_f1']:.3f}, micro F1 {metrics['micro_f1']:.3f}")
    return metrics


def _fit_final(corpus: LabelledCorpus, work, nlp, cache: EstimatorCache, say: Callable[[str], None]):
    """`nlp` with its themes component fitted on the whole corpus (training docs made by `work`)."""
    from ..components.structure import rules_of
    from ..pipeline import THEMES

    say("fitting the final model (thresholds by grouped cross-validation on the training documents"
        + (")" if len(corpus.documents) >= 2 else ": only one document, every threshold stays 0.5)"))
    themes = nlp.get_pipe(THEMES)
    examples = corpus_examples(work, corpus, rules_of(nlp), units_key=themes.units_key,
                               themes_key=themes.themes_key)
    themes.initialize(lambda: examples.values(), labels=corpus.labels, **cache.fit_params())
    say(f"{cache.fits} estimator fits in all; thresholds: "
        + ", ".join(f"{k}={v:.3f}" for k, v in themes.model.thresholds_.items()))
    return nlp


def _training_record(nlp, corpus: LabelledCorpus, metrics: dict | None, name: str, version: str, from_model,
                     allow_new_labels: bool, allow_rare_labels: bool) -> dict:
    """What the model's meta.json records under `policy_nlp`: data, labels, thresholds, settings, CV scores."""
    from ..pipeline import THEMES

    model = nlp.get_pipe(THEMES).model
    counts = corpus.label_counts()
    return {
        "labels": corpus.labels,
        "new_labels": corpus.new_labels,
        "label_counts": counts,
        "units": len(corpus.units),
        "documents": sorted(corpus.documents),
        "thresholds": dict(model.thresholds_),
        "hyperparameters": model.hyperparameters(),
        "model": {"name": f"{nlp.meta.get('lang', 'zh')}_{name}", "version": version},
        "data_files": corpus.file_hashes,
        "data_sources": corpus.sources,
        "reviewed_units": sum(1 for u in corpus.units if u.reviewed),
        "versions": library_versions("opencc", "datasets"),
        "trained": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "settings": {"threshold_selection": "grouped cross-validation on the training documents ("
                                            + cv_name(len(corpus.documents)) + ")",
                     "from_model": None if from_model is None else str(from_model),
                     "allow_new_labels": allow_new_labels, "allow_rare_labels": allow_rare_labels,
                     "rare_labels": [k for k, v in counts.items() if v < MIN_POSITIVES]},
        "cv": None if metrics is None else {k: metrics[k] for k in
                                            ("mode", "cv", "labels", "macro_f1", "micro_f1", "exact_set_accuracy",
                                             "per_label", "confused_pairs", "units")},
        "merge_report": corpus.report,
    }


def _save(nlp, out: Path, say: Callable[[str], None]) -> None:
    """Write the pipeline to `out` through a temporary folder that replaces it only when complete."""
    say(f"writing the pipeline to {out}")
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        nlp.to_disk(tmp)
        record_files(tmp)
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"saved to {out}")
