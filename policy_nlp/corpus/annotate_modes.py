"""The three modes of `policy-nlp annotate`, as functions that take typed arguments and return data.

- `annotate_corpus_file`: a corpus into one resumable `-o FILE.jsonl/.parquet` (`batch.annotate_corpus`); returns
  the run's summary.
- `annotate_reports`: reports to stdout, one `-o FILE.json` or one `.json` per input in `-o DIR`
  (`batch.annotate_to_directory`); yields one `ReportResult` per input.
- `update_reports` (`--update`): reviewer JSON files annotated again, their reviewed units kept
  (`batch.update_reviewed`); yields one `UpdateResult` per file.

`annotate_mode` says which mode (and output) a command line asks for, `refuse_options` refuses, with E110, an
option that only another mode reads, and `ray_engine` gives the batch's engine; the command line prints what
the functions return.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping, NamedTuple, Sequence

from ..errors import DataError
from .annotation import BATCH_SIZE, MAX_CHARS
from .batch import annotate_corpus, annotate_to_directory, update_reviewed, write_json_file
from .document import AnnotatedDocument
from .parallel import annotate_items

BATCH = "batch"  # -o FILE.jsonl / FILE.parquet
FILE = "file"  # -o FILE.json: one report
DIR = "dir"  # -o DIR: one .json per input
STDOUT = "stdout"  # no -o
UPDATE = "update"  # --update
_BATCH_OUTPUT = "-o FILE.jsonl or -o FILE.parquet"

# Options (as the command line spells them) that only some modes read.
BATCH_ONLY = ("--summary", "--refresh", "--n-process", "--batch-size", "--no-progress")
ENGINE = ("--engine ray", "--ray-address", "--workers")  # BATCH only too: `ray_engine` checks them
WRITES_FILES = ("--overwrite", "--overwrite-reviewed")  # -o DIR and -o FILE.json
NOT_UPDATE = ("--format table", "--text-column", "--id-column", "--max-chars", "--explain", "--explain-top",
              "--metadata", *BATCH_ONLY, *ENGINE, *WRITES_FILES)


class ReportResult(NamedTuple):
    """One input of `annotate_reports`: its id, the document (None if it failed), the error (None if it did
    not) and the file written (None on stdout)."""

    doc_id: str
    document: AnnotatedDocument | None
    error: str | None
    target: Path | None


class UpdateResult(NamedTuple):
    """One reviewer file of `update_reports`: the file read, the file written (None if it failed), the counts
    of reviewed units kept, units refreshed and new units dropped, and the error (None if it did not fail)."""

    source: Path
    target: Path | None
    counts: dict | None
    error: str | None


def annotate_mode(output: Path | None, update: bool = False) -> str:
    """Which mode and output a command line asks for: UPDATE, BATCH, FILE, DIR or STDOUT (E053: an -o that is
    none of them)."""
    if update:
        return UPDATE
    if output is None:
        return STDOUT
    suffix = output.suffix.lower()
    if suffix in (".jsonl", ".parquet"):
        return BATCH
    if suffix == ".json" and not output.is_dir():
        return FILE
    if output.is_dir() or not suffix:
        return DIR
    raise DataError("E053", path=output)


def refuse_options(mode: str, given: Mapping[str, bool]) -> None:
    """E110 for the first option `given` (option → whether the command line set it) that `mode` does not read,
    and for --metadata without --summary (the engine options: `ray_engine`)."""
    for option, used in given.items():
        if not used:
            continue
        if mode == UPDATE and option in NOT_UPDATE:
            raise DataError("E110", option=option, context="with --update",
                            fix=f"--update re-annotates reviewer JSON files with the model only: leave out {option}, "
                                "or annotate the reports without --update.")
        if option == "--format table" and mode != STDOUT:
            raise DataError("E110", option=option, context="with -o (it prints to the terminal)",
                            fix="Leave out -o to see the table, or leave out --format table to write JSON to -o.")
        if option in BATCH_ONLY and mode != BATCH:
            raise DataError("E110", option=option, context=f"without {_BATCH_OUTPUT}",
                            fix=f"Write the corpus to -o FILE.jsonl (or .parquet) to use {option}.")
        if option in WRITES_FILES and mode not in (DIR, FILE):
            raise DataError("E110", option=option, context="without -o DIR or -o FILE.json",
                            fix=f"{option} decides whether existing .json files are replaced: write to -o DIR "
                                "or -o FILE.json to use it.")
    if given.get("--metadata") and not given.get("--summary"):
        raise DataError("E110", option="--metadata", context="without --summary",
                        fix="Add --summary FILE (the table the metadata goes into), or leave --metadata out.")


def ray_engine(ray: bool, address: str | None, workers: int | None, n_process: int, mode: str):
    """None for this machine's processes, or (`ray`) the `distributed.RayEngine` that `annotate_corpus_file` runs on
    (E190 without Ray), which ships the loaded pipeline to its actors; options of the other engine are
    refused (E110)."""
    if not ray:
        for option, used in (("--ray-address", address is not None), ("--workers", workers is not None)):
            if used:
                raise DataError("E110", option=option, context="without --engine ray",
                                fix=f"Add --engine ray to use {option}, or leave it out.")
        return None
    if mode != BATCH:
        raise DataError("E110", option="--engine ray", context=f"without {_BATCH_OUTPUT}",
                        fix="Write the corpus to -o FILE.jsonl (or .parquet) to annotate it on Ray.")
    if n_process > 1:
        raise DataError("E110", option="--n-process", context="with --engine ray",
                        fix="Use --workers N to set the number of Ray actors.")
    from .distributed import RayEngine, check_ray

    check_ray()
    return RayEngine(address, workers or 2)


def annotate_corpus_file(inputs: Sequence[Path], output: Path, nlp, *, n_process: int = 1, batch_size: int = 8,
                   text_column: str = "text", id_column: str | None = None, summary: Path | None = None,
                   metadata: Path | None = None, max_chars: int = MAX_CHARS, refresh: bool = False,
                   explain_top: int = 0, engine=None, progress=None) -> dict:
    """BATCH: every input into `output` (.jsonl or .parquet, resumable), on this machine's processes or on
    `engine` (`distributed.RayEngine`); returns `annotate_corpus`'s summary of the run. `progress`: called with
    each `batch.BatchProgress`."""
    return annotate_corpus(inputs, output, nlp=nlp, n_process=n_process, batch_size=batch_size,
                           text_column=text_column, id_column=id_column, summary_csv=summary, max_chars=max_chars,
                           refresh=refresh, progress=progress, metadata=metadata, explain_top=explain_top,
                           engine=engine or annotate_items)


def annotate_reports(inputs: Sequence[Path], output: Path | None, nlp, *, single_file: bool = False,
                       text_column: str = "text", id_column: str | None = None, max_chars: int = MAX_CHARS,
                       overwrite: bool = False, overwrite_reviewed: bool = False, explain_top: int = 0
                       ) -> Iterator[ReportResult]:
    """STDOUT (`output` None), DIR (one .json per input in `output`) or FILE (`single_file`: the one report's
    JSON in `output`; E110 when a second document follows). Existing files are kept unless `overwrite` /
    `overwrite_reviewed` (E131, E130)."""
    done = 0
    for doc_id, result, error, target in annotate_to_directory(
            inputs, None if single_file else output, nlp=nlp, text_column=text_column, id_column=id_column,
            max_chars=max_chars, overwrite=overwrite, overwrite_reviewed=overwrite_reviewed,
            explain_top=explain_top, batch_size=1 if single_file else BATCH_SIZE):  # FILE: E110 at the 2nd
        if single_file and result is not None:
            if done:
                raise DataError("E110", option="-o FILE.json", context="for more than one document",
                                fix="Write several documents to -o FILE.jsonl or to a directory (-o DIR/).")
            done += 1
            target = write_json_file(result, output, overwrite=overwrite, overwrite_reviewed=overwrite_reviewed)
        yield ReportResult(doc_id, result, error, target)


def update_reports(inputs: Sequence[Path], output: Path | None, nlp) -> Iterator[UpdateResult]:
    """UPDATE: each reviewer JSON file of `inputs` annotated again with `nlp`, its reviewed units kept, written
    in place or into the directory `output`."""
    for source, target, counts, error in update_reviewed(inputs, output, nlp=nlp):
        yield UpdateResult(Path(source), target, counts, error)
