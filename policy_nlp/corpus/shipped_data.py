"""Where the data shipped with the package is: the seed reports and the labelled work reports (package data
in an installed wheel, their folders in a source checkout)."""
from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def _package_dir(package: str, repo_dir: Path) -> Path:
    """A data folder shipped as package data (`policy_nlp/data/...` in an installed wheel), or its place in a
    source checkout (editable installs map those packages onto the checkout's folders)."""
    installed = Path(__file__).resolve().parent.parent.joinpath(*package.split(".")[1:])
    return installed if installed.is_dir() else repo_dir


def labelled_dir() -> Path:
    """Where the labelled units (`data/*.jsonl`) and the labelled work reports (`corpus/*.txt`) are."""
    return _package_dir("policy_nlp.data.labelled", REPO_ROOT / "training")


def document_dirs() -> list[Path]:
    """Folders searched for the reports a unit file's `doc` field names: the seeds, the labelled work reports,
    then the work reports whose units were picked by `suggest`."""
    corpus = labelled_dir() / "corpus"
    return [_package_dir("policy_nlp.data.seeds", REPO_ROOT / "seeds"), corpus, corpus / "work_reports"]
