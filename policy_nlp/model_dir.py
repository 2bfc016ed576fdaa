"""What a pipeline directory may hold before any of it is read: regular files and folders only, a file list
with hashes, and a config that names only the registered functions a policy_nlp pipeline uses and no file
outside the directory.

`check_tree` refuses (E061) anything in the directory that is not a regular file or folder (a FIFO would hang
the load, a device exhaust memory) and a symbolic link that leads outside it, before spaCy opens any file.
`policy-nlp train` writes `checksums.json`: the SHA-256 of every other file of the directory (config, meta,
rules, vocabulary, tokenizer settings, model), which `check_files` compares before loading (E115: a file
changed or removed; files nothing reads may be added). `check_config` reads the config as written (a `${...}`
reference may name only a `[paths]` or `[system]` value, as spaCy writes them), then with its references
resolved, and walks every section, also those only `spacy train` resolves; it refuses (E116) a
registered function that is not on the allow-list `_FUNCTIONS` (a reader such as `srsly.read_json.v1` would
read any file, `spacy.copy_from_base_model.v1` load another pipeline unchecked), a component factory that is not
one of policy_nlp's, a component name that is not a bare name (spaCy reads the component's files from
`path / name`), a section with two functions, a component `source`d from another pipeline, a positional `*`
section, a string argument
of one of spaCy's functions (a file name), a file argument that is not a regular file inside the directory, and
a pkuseg model outside it and the cache (E113). The hashes show that the files are the ones written together;
they do not say who wrote them: a model directory still has to come from someone you trust for its answers.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Callable

from spacy.language import Language
from thinc.api import Config

from . import jsonio
from .atomic import atomic_write
from .components.normalize import OPENCC_CONFIGS
from .components.pkuseg_model import saved_reference, saved_user_dict, sha256_file
from .errors import ModelError
from .rules import LATEST_VERSION

CHECKSUMS = "checksums.json"
FORMAT = "policy_nlp.checksums/v1"
_FACTORIES = ("policy_nlp_report_structure", "policy_nlp_themes", "policy_nlp_indicators")
_BARE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _inner_file(value, here: str, root: Path) -> None:
    if value in ("", None):
        return
    target = Path(str(value)).expanduser().resolve()  # relative to the working directory, as it is opened
    if not target.is_relative_to(root) or not target.is_file():
        raise ModelError("E116", path=root, detail=f"{here} = {value!r} is not a file inside the pipeline directory")


def _opencc_config(value, here: str, root: Path) -> None:
    if value not in OPENCC_CONFIGS:
        raise ModelError("E116", path=root, detail=f"{here} = {value!r} is not the name of an OpenCC configuration "
                                                   f"({', '.join(OPENCC_CONFIGS)})")


def _pkuseg_model(value, here: str, root: Path) -> None:
    if value is not None:
        saved_reference(str(value), root)


def _pkuseg_user_dict(value, here: str, root: Path) -> None:
    if value is not None:
        saved_user_dict(str(value), root)


_Check = Callable[[object, str, Path], None]
_RULES = {f"policy_nlp.report_rules.v{v}": {} for v in range(1, LATEST_VERSION + 1)}
# Every registered function a policy_nlp pipeline's config names, with the check of each argument that names a
# file or a resource (the other arguments of policy_nlp's functions are plain settings: strings, numbers, lists;
# none is a table or another function).
_FUNCTIONS: dict[str, dict[str, _Check]] = {
    "policy_nlp.ChineseTokenizer.v1": {"opencc_config": _opencc_config, "pkuseg_model": _pkuseg_model,
                                       "pkuseg_user_dict": _pkuseg_user_dict},
    **_RULES,
    "policy_nlp.report_rules_file.v1": {"path": _inner_file},
    "policy_nlp.indicator_vocabulary.v1": {"extra_path": _inner_file},
    "policy_nlp.indicator_vocabulary.v2": {"extra_path": _inner_file},
    "policy_nlp.theme_estimator.v1": {},
    "policy_nlp.structure_scorer.v1": {}, "policy_nlp.themes_scorer.v1": {}, "policy_nlp.indicators_scorer.v1": {},
}
# Keys of plain sections that name a resource (the [initialize.tokenizer] settings)
_SETTINGS: dict[str, _Check] = {"pkuseg_model": _pkuseg_model, "pkuseg_user_dict": _pkuseg_user_dict}


def _default_functions(block: dict) -> set[str]:
    """The functions spaCy's default config names ([nlp.vectors], [training], [corpora] …)."""
    names = set()
    for key, value in block.items():
        if isinstance(value, dict):
            names |= _default_functions(value)
        elif key.startswith("@"):
            names.add(value)
    return names


# spaCy's own functions of its default config, which a saved pipeline's config repeats; none may be given a
# string argument (spacy.Corpus.v1's `path` is null in a saved pipeline).
_SPACY_FUNCTIONS = frozenset(_default_functions(Language.default_config.interpolate()))


def is_inner_path(name: str) -> bool:
    """Whether `name` is a relative path that cannot leave the folder it is looked up in: not absolute, no
    `..`, no backslash or NUL. What a unit's or task's `doc` may be, so that looking it up never leaves the
    report folders and an output named after it stays inside `-o`, and a name `checksums.json` may list."""
    return bool(name) and not name.startswith("/") and "\\" not in name and "\0" not in name and all(
        part not in ("", ".", "..") for part in name.split("/"))


def file_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of every file below `path` but checksums.json, by path relative to it ('/'-separated)."""
    return {f.relative_to(path).as_posix(): sha256_file(f) for f in sorted(path.rglob("*"))
            if f.is_file() and f.relative_to(path).as_posix() != CHECKSUMS}


def record_files(path: Path) -> None:
    """Write checksums.json: the hashes of the directory's files."""
    atomic_write(path / CHECKSUMS, json.dumps({"format": FORMAT, "files": file_hashes(path)}, indent=1))


def check_tree(path: Path) -> None:
    """Refuse (E061) an entry of the directory that is not a regular file or folder, or a symbolic link that
    leads outside it (or nowhere); links are not followed into other folders."""
    root = path.resolve()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            entry = Path(folder) / name
            _check_entry(entry, root)


def _check_entry(entry: Path, root: Path) -> None:
    name = entry.relative_to(root).as_posix()
    if entry.is_symlink():
        try:
            target = entry.resolve(strict=True)
        except (OSError, RuntimeError):
            raise ModelError("E061", path=root, name=name, detail="a symbolic link that leads nowhere") from None
        if not target.is_relative_to(root):
            raise ModelError("E061", path=root, name=name, detail=f"a symbolic link to {target}, outside it")
        return  # the target, inside the directory, is checked itself
    mode = entry.lstat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ModelError("E061", path=root, name=name, detail="not a regular file (a FIFO, device or socket)")


def check_files(path: Path) -> None:
    """Compare the directory's files with the hashes its checksums.json records (nothing to compare in a
    directory saved by `nlp.to_disk` alone); E115 names the first file missing or changed."""
    if not (path / CHECKSUMS).exists():
        return
    def unreadable(detail: str) -> ModelError:
        return ModelError("E115", path=path, detail=f"{CHECKSUMS} cannot be read: {detail}")

    recorded = jsonio.read(path / CHECKSUMS, unreadable)
    try:
        names = sorted(recorded["files"])
        recorded = {name: recorded["files"][name] for name in names}
    except (KeyError, TypeError) as exc:
        raise unreadable(repr(exc)) from None
    for name in names:
        if not is_inner_path(name):
            raise ModelError("E115", path=path, detail=f"{CHECKSUMS} names {name[:200]!r}, not a file inside the "
                                                       f"directory")
        target = path / name
        if not target.is_file():
            raise ModelError("E115", path=path, detail=f"{name} is missing")
        if sha256_file(target) != recorded[name]:
            raise ModelError("E115", path=path, detail=f"{name} was changed")


def check_config(path: Path) -> None:
    """Refuse (E116) a config.cfg that names a function not on the allow-list, a factory not policy_nlp's, a
    `source`, a positional section, a component whose name is not a bare name or a file outside `path`, in any
    section, `${...}` references resolved (only references to `[paths]` and `[system]` values, which hold none
    themselves, as spaCy writes them: a chain of references repeating each other would take exponential time)."""
    root = path.resolve()
    try:
        _check_references(Config().from_disk(path / "config.cfg", interpolate=False), "", root)
        config = Config().from_disk(path / "config.cfg", interpolate=True)
    except ModelError:
        raise
    except Exception as exc:  # thinc raises several kinds for a broken file or a reference to nothing
        raise ModelError("E116", path=path, detail=f"config.cfg cannot be parsed: {exc}") from None
    nlp = config.get("nlp") or {}
    if nlp.get("lang") != "zh":
        raise ModelError("E116", path=root, detail="[nlp] lang is not 'zh'")
    names = [*(config.get("components") or {}), *_names(nlp, "pipeline", root), *_names(nlp, "disabled", root)]
    for name in names:
        if not isinstance(name, str) or not _BARE_NAME.fullmatch(name):
            raise ModelError("E116", path=root, detail=f"the component name {name!r} is not a bare name")
    _check_block(config, "", root)


_REFERENCE_RE = re.compile(r"\$\{([^}]*)\}")
_REFERABLE = re.compile(r"(?:paths|system)\.[A-Za-z0-9_]+")


def _check_references(block: dict, where: str, root: Path) -> None:
    """Refuse a `${...}` reference to anything but a `[paths]` or `[system]` value, and any in those sections."""
    for key, value in block.items():
        if isinstance(value, dict):
            _check_references(value, f"{where}.{key}".lstrip("."), root)
            continue
        for ref in _REFERENCE_RE.findall(json.dumps(value, ensure_ascii=False)):
            if not _REFERABLE.fullmatch(ref) or where.split(".")[0] in ("paths", "system"):
                raise ModelError("E116", path=root, detail=f"[{where}] {key} refers to ${{{ref}}}: only "
                                                           f"[paths] and [system] values may be referred to")


def _names(nlp: dict, key: str, root: Path) -> list:
    value = nlp.get(key) or []
    if not isinstance(value, list):
        raise ModelError("E116", path=root, detail=f"[nlp] {key} is not a list of component names")
    return value


def _check_block(block: dict, where: str, root: Path) -> None:
    functions = [key for key in block if key.startswith("@")]
    if len(functions) > 1:
        raise ModelError("E116", path=root, detail=f"[{where}] names more than one function: {', '.join(functions)}")
    function = functions[0] if functions else None
    if function is not None:
        _check_function(block, function, where, root)
    for key, value in block.items():
        here = f"[{where}] {key}"
        if key == "*":
            raise ModelError("E116", path=root, detail=f"[{where}.*] passes positional arguments")
        if isinstance(value, dict):
            _check_block(value, f"{where}.{key}".lstrip("."), root)
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            raise ModelError("E116", path=root, detail=f"{here} holds a table (a function) in a list")
        elif key == "source":
            raise ModelError("E116", path=root, detail=f"{here} loads a component from another pipeline")
        elif key == "factory" and value not in _FACTORIES:
            raise ModelError("E116", path=root, detail=f"{here} = {value!r} is not a component of policy_nlp")
        elif function is None and key in _SETTINGS:
            _SETTINGS[key](value, here, root)
        elif function is None and isinstance(value, str) and value and "path" in key.lower():
            _inner_file(value, here, root)


def _check_function(block: dict, function: str, where: str, root: Path) -> None:
    name = block[function]
    here = f"[{where}] {function}"
    if name in _FUNCTIONS:
        table = next((argument for argument, value in block.items() if isinstance(value, dict)), None)
        if table is not None:  # none of policy_nlp's functions takes a table or another function
            raise ModelError("E116", path=root, detail=f"[{where}] {table}: {name} is given a table")
        for argument, check in _FUNCTIONS[name].items():
            if argument in block:
                check(block[argument], f"[{where}] {argument}", root)
    elif name in _SPACY_FUNCTIONS:
        for argument, value in block.items():
            if argument != function and _holds_string(value):
                raise ModelError("E116", path=root, detail=f"[{where}] {argument} = {value!r}: {name} is given a "
                                                           f"string (a file name?)")
    else:
        raise ModelError("E116", path=root, detail=f"{here} = {name!r} is not one of the functions a policy_nlp "
                                                   f"pipeline uses")


def _holds_string(value) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and any(map(_holds_string, value)))
