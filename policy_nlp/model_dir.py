"""What a pipeline directory may hold before any of it is read: a file list with hashes, and a config that
names only spaCy's and policy_nlp's own functions and no file outside the directory.

`policy-nlp train` writes `checksums.json`: the SHA-256 of every other file of the directory (config, meta,
rules, vocabulary, tokenizer settings, model), which `check_files` compares before loading (E115: a file
changed or removed; files nothing reads may be added). `check_config` walks the sections spaCy resolves when it
loads a pipeline (`nlp`, `components`) and refuses (E116) a function or component factory registered by
another package (a reader such as `srsly.read_json.v1` would read any file), a component `source`d from another pipeline, a
setting naming a path that is not a regular file inside the directory (a FIFO would hang the load,
`/dev/zero` exhaust memory) and a pkuseg model outside it and the cache (E113). The hashes show that the
files are the ones written together; they do not say who wrote them: a model directory still has to come
from someone you trust for its answers.
"""
from __future__ import annotations

import json
from pathlib import Path

from spacy.util import registry
from thinc.api import Config

from .atomic import atomic_write
from .components.pkuseg_model import saved_reference, saved_user_dict, sha256_file
from .errors import ModelError

CHECKSUMS = "checksums.json"
FORMAT = "policy_nlp.checksums/v1"
_RESOLVED_SECTIONS = ("nlp", "components")  # what spacy.load resolves; [training] etc. only run when training
_OWN_PACKAGES = ("spacy", "policy_nlp")


def file_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of every file below `path` but checksums.json, by path relative to it ('/'-separated)."""
    return {f.relative_to(path).as_posix(): sha256_file(f) for f in sorted(path.rglob("*"))
            if f.is_file() and f.relative_to(path).as_posix() != CHECKSUMS}


def record_files(path: Path) -> None:
    """Write checksums.json: the hashes of the directory's files."""
    atomic_write(path / CHECKSUMS, json.dumps({"format": FORMAT, "files": file_hashes(path)}, indent=1))


def check_files(path: Path) -> None:
    """Compare the directory's files with the hashes its checksums.json records (nothing to compare in a
    directory saved by `nlp.to_disk` alone); E115 names the first file missing or changed."""
    if not (path / CHECKSUMS).exists():
        return
    try:
        recorded = json.loads((path / CHECKSUMS).read_text(encoding="utf-8"))["files"]
        names = sorted(recorded)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ModelError("E115", path=path, detail=f"{CHECKSUMS} cannot be read: {exc}") from None
    for name in names:
        target = path / name
        if ".." in Path(name).parts or not target.is_file():
            raise ModelError("E115", path=path, detail=f"{name} is missing")
        if sha256_file(target) != recorded[name]:
            raise ModelError("E115", path=path, detail=f"{name} was changed")


def check_config(path: Path) -> None:
    """Refuse (E116) a config.cfg whose resolved sections name a function of another package, `source` a
    component, or name a path that is not a regular file inside `path`."""
    try:
        config = Config().from_disk(path / "config.cfg", interpolate=False)
    except Exception as exc:  # thinc raises several kinds for a broken file
        raise ModelError("E116", path=path, detail=f"config.cfg cannot be parsed: {exc}") from None
    for section in _RESOLVED_SECTIONS:
        _check_block(config.get(section) or {}, section, path.resolve())


def _check_block(block: dict, where: str, root: Path) -> None:
    for key, value in block.items():
        here = f"[{where}] {key}"
        if isinstance(value, dict):
            _check_block(value, f"{where}.{key}", root)
        elif key == "source":
            raise ModelError("E116", path=root, detail=f"{here} loads a component from another pipeline")
        elif key.startswith("@"):
            _check_function(key[1:], value, here, root)
        elif key == "factory" and isinstance(value, str):
            _check_factory(value, here, root)
        elif key == "pkuseg_model" and isinstance(value, str):
            saved_reference(value, root)
        elif key == "pkuseg_user_dict" and isinstance(value, str):
            saved_user_dict(value, root)
        elif isinstance(value, str) and value and "path" in key.lower():
            _check_path(value, here, root)


def _check_function(namespace: str, name, here: str, root: Path) -> None:
    try:
        func = registry.get(namespace, name)
    except Exception:  # catalogue's RegistryError, or an unknown namespace
        raise ModelError("E116", path=root, detail=f"{here} = {name!r} is not a registered function") from None
    _check_module(func, name, here, root)


def _check_module(func, name: str, here: str, root: Path) -> None:
    module = getattr(func, "__module__", "") or ""
    if module.split(".")[0] not in _OWN_PACKAGES:
        raise ModelError("E116", path=root, detail=f"{here} = {name!r} is a function of '{module}', not of "
                                                   f"spaCy or policy_nlp")


def _check_factory(name: str, here: str, root: Path) -> None:
    """A component factory registered by another package (through its entry points) is refused; spaCy's own
    built-ins, which it registers only when first asked for, are left to spaCy."""
    try:
        func = registry.factories.get(name)
    except Exception:  # not registered yet: one of spaCy's own, or unknown (spaCy says so)
        return
    _check_module(func, name, here, root)


def _check_path(value: str, here: str, root: Path) -> None:
    target = Path(value).expanduser().resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise ModelError("E116", path=root, detail=f"{here} = {value!r} is not a file inside the pipeline directory")
