"""The pkuseg `default` segmentation model: fetch, verify, convert and cache.

spacy-pkuseg ships no weights. The pkuseg 0.0.25 wheel on PyPI carries the `default` model
(`pkuseg/models/default/features.pkl`, `weights.npz`). `download()` fetches that wheel with pip,
checks its SHA-256, extracts the two files, converts `features.pkl` to `features.msgpack` once (so
nothing is unpickled at run time) and caches them under `cache_dir()/pkuseg/default`.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from ..atomic import replacing
from ..errors import ModelError, SegmenterModelError

WHEEL_NAME = "pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl"
WHEEL_SHA256 = "6fc2f97d0f66cc6722cf772e65dbcde1b01d8cc53b66ac4aa7bce639de79588f"
PIP_ARGS = (
    "download", "pkuseg==0.0.25", "--no-deps", "--only-binary=:all:", "--platform", "manylinux1_x86_64",
    "--python-version", "37", "--implementation", "cp", "--abi", "cp37m",
)
_MEMBERS = {"features.pkl": "pkuseg/models/default/features.pkl", "weights.npz": "pkuseg/models/default/weights.npz"}
CACHE_ENV = "POLICY_NLP_CACHE"
DEFAULT_MODEL = "default"
_NAME_RE = re.compile(r"[A-Za-z0-9_]+")


def cache_dir() -> Path:
    """The user cache directory: $POLICY_NLP_CACHE, else $XDG_CACHE_HOME/policy_nlp, else ~/.cache/policy_nlp."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policy_nlp"


def default_model_dir() -> Path:
    return cache_dir() / "pkuseg" / DEFAULT_MODEL


def is_model_dir(path: Path) -> bool:
    """Weights and msgpack features: a `features.pkl` alone is no model here (spacy-pkuseg would unpickle it)."""
    return (path / "weights.npz").is_file() and (path / "features.msgpack").is_file()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def offline_command(directory: str = "DIR") -> str:
    """The `pip download` line that fetches the wheel on a machine that is online (for offline installs)."""
    return " ".join(["pip", *PIP_ARGS, "-d", directory])


def _stderr_target():
    """Where pip's own output and progress bar go: our stderr (never stdout, which may carry JSON)."""
    try:
        sys.stderr.flush()
        sys.stderr.fileno()
        return sys.stderr
    except (AttributeError, OSError, ValueError):  # stderr replaced by an object without a file descriptor
        return subprocess.DEVNULL


def _fetch_wheel(dest: Path, quiet: bool) -> Path:
    cmd = [sys.executable, "-m", "pip", *PIP_ARGS, "-d", str(dest), "--disable-pip-version-check"]
    if quiet:
        cmd.append("-q")
    else:
        cmd += ["--progress-bar", "on"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if quiet else _stderr_target(), stderr=subprocess.PIPE,
                          text=True)
    wheel = dest / WHEEL_NAME
    if proc.returncode != 0 or not wheel.is_file():
        reason = (proc.stderr or "").strip().splitlines()[-1:] or ["pip download failed"]
        raise SegmenterModelError("E010", model=DEFAULT_MODEL, cache=default_model_dir(), reason=reason[0])
    return wheel


def _convert_features(pkl_path: Path, msgpack_path: Path) -> None:
    import srsly

    with open(pkl_path, "rb") as fh:
        data = pickle.load(fh)  # trusted: the wheel's SHA-256 was verified before extraction
    srsly.write_msgpack(
        msgpack_path,
        {
            "unigram": sorted(data["unigram"]),
            "bigram": sorted(data["bigram"]),
            "feature_to_idx": data["feature_to_idx"],
            "tag_to_idx": data["tag_to_idx"],
        },
    )


def install_from_wheel(wheel: Path, target: Path | None = None,
                       progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Verify `wheel`, extract the default model and convert it into `target` (atomically)."""
    target = target or default_model_dir()
    found = sha256_file(wheel)
    if found != WHEEL_SHA256:
        raise SegmenterModelError("E011", path=wheel, found=found, expected=WHEEL_SHA256)
    with replacing(target, directory=True) as tmp:
        with zipfile.ZipFile(wheel) as zf:
            for name, member in _MEMBERS.items():
                info = zf.getinfo(member)
                done = 0
                with zf.open(info) as src, open(tmp / name, "wb") as dst:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        dst.write(block)
                        done += len(block)
                        if progress:
                            progress(name, done, info.file_size)
        _convert_features(tmp / "features.pkl", tmp / "features.msgpack")
        (tmp / "features.pkl").unlink()
        (tmp / "SOURCE").write_text(f"{WHEEL_NAME} sha256={WHEEL_SHA256}\n", encoding="utf-8")
    return target


def download(wheel: str | Path | None = None, force: bool = False, quiet: bool = False,
             progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Make sure the pkuseg default model is cached; return its directory.

    `wheel`: a local copy of the pkuseg 0.0.25 wheel (offline installs); otherwise pip fetches it.
    """
    target = default_model_dir()
    if is_model_dir(target) and not force:
        return target
    if wheel is not None:
        return install_from_wheel(Path(wheel), target, progress)
    with tempfile.TemporaryDirectory(prefix="policy-nlp-wheel-") as tmp:
        path = _fetch_wheel(Path(tmp), quiet)
        return install_from_wheel(path, target, progress)


def announce(message: str) -> None:
    """Tell the user, on stderr, about a one-off download that would otherwise look like a hang."""
    print(message, file=sys.stderr, flush=True)


def spacy_pkuseg_home() -> Path:
    """Where spacy-pkuseg keeps its named models: $PKUSEG_HOME, else ~/.pkuseg."""
    return Path(os.environ.get("PKUSEG_HOME", "~/.pkuseg")).expanduser()


def resolve(model: str, allow_download: bool = True) -> str:
    """Turn a pkuseg model reference into the directory spacy_pkuseg.pkuseg() loads.

    'default' → the cached default model (fetched from PyPI on first use if `allow_download`); an
    existing directory → that directory; a spacy-pkuseg model name ('medicine', 'news', 'web', …) → its
    directory under `spacy_pkuseg_home()`, which must be there already: nothing is fetched from a model hub.
    """
    if model == DEFAULT_MODEL:
        target = default_model_dir()
        if is_model_dir(target):
            return str(target)
        if not allow_download:
            raise SegmenterModelError("E010", model=model, cache=target, reason="downloads are switched off")
        announce(f"policy_nlp: the pkuseg 'default' segmentation model is not cached yet; fetching it once: "
                 f"pkuseg 0.0.25 ({WHEEL_NAME}, about 50 MB) from PyPI with pip, into {target} (about 170 MB). "
                 f"Offline: {offline_command()} on an online machine, then policy-nlp download --wheel "
                 f"DIR/{WHEEL_NAME}; or use --segmenter char / segmenter='char', which needs no weights.")
        return str(download(quiet=False))
    path = Path(model).expanduser()
    if path.exists():
        if not is_model_dir(path):
            raise SegmenterModelError("E012", path=path)
        return str(path)
    named = spacy_pkuseg_home() / model
    if is_model_dir(named):
        return str(named)
    raise SegmenterModelError("E013", model=model, home=spacy_pkuseg_home())


def saved_reference(model: str, model_dir: Path) -> str:
    """A pkuseg model reference read from a saved pipeline's settings: 'default', a spacy-pkuseg model name
    (looked up in `spacy_pkuseg_home()` only, never in the working directory), or a directory inside the
    pipeline directory or `cache_dir()`; any other path is refused (E113)."""
    if model == DEFAULT_MODEL:
        return model
    if _NAME_RE.fullmatch(model):
        return str(spacy_pkuseg_home() / model)
    path = (model_dir / model).resolve()
    if any(path.is_relative_to(root.resolve()) for root in (model_dir, cache_dir())):
        return str(path)
    raise ModelError("E113", path=model, model_dir=model_dir)


def saved_user_dict(user_dict: str, model_dir: Path) -> str:
    """A pkuseg user dictionary read from a saved pipeline's settings: 'default', or a regular file inside the
    pipeline directory (a FIFO would block, a file elsewhere is not the model's); else E113."""
    if user_dict == DEFAULT_MODEL:
        return user_dict
    path = (model_dir / user_dict).resolve()
    if path.is_relative_to(model_dir.resolve()) and path.is_file():
        return str(path)
    raise ModelError("E113", path=user_dict, model_dir=model_dir)
