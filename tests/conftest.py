"""Shared fixtures: the seed reports, pipelines loaded once per test session, a hermetic cache.

For the whole session POLICY_NLP_CACHE and PKUSEG_HOME point into a temporary directory (set in
`pytest_configure`, before any test module is imported, and inherited by the subprocesses tests start), so
no test reads or writes the user's cache. The pkuseg default model is linked read-only from the user's cache
when it is there already (no second 175 MB download); otherwise the `pkuseg_nlp` fixture downloads it into
the temporary cache.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_UNITS = ROOT / "training" / "data" / "seed_units.jsonl"
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))

_ENV_KEYS = ("POLICY_NLP_CACHE", "PKUSEG_HOME")
_SAVED_ENV: dict[str, str | None] = {}
_SESSION_DIR: Path | None = None
PKUSEG_FILES = ("features.msgpack", "features.pkl", "weights.npz", "SOURCE")


def _user_pkuseg_dir() -> Path:
    """Where the user's pkuseg default model is cached (before this session changed the environment)."""
    env = os.environ.get("POLICY_NLP_CACHE")
    if env:
        base = Path(env).expanduser()
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser()) / "policy_nlp"
    return base / "pkuseg" / "default"


def _link_read_only(src: Path, dest: Path) -> bool:
    """Symlink the model files of `src` into `dest` (the user's files are never opened for writing)."""
    if not ((src / "weights.npz").is_file() and
            ((src / "features.msgpack").is_file() or (src / "features.pkl").is_file())):
        return False
    dest.mkdir(parents=True)
    for name in PKUSEG_FILES:
        if (src / name).is_file():
            (dest / name).symlink_to((src / name).resolve())
    return True


def pytest_configure(config):
    global _SESSION_DIR
    user_model = _user_pkuseg_dir()
    _SESSION_DIR = Path(tempfile.mkdtemp(prefix="policy-nlp-tests-"))
    cache = _SESSION_DIR / "cache"
    cache.mkdir()
    (_SESSION_DIR / "pkuseg_home").mkdir()
    _link_read_only(user_model, cache / "pkuseg" / "default")
    for key in _ENV_KEYS:
        _SAVED_ENV[key] = os.environ.get(key)
    os.environ["POLICY_NLP_CACHE"] = str(cache)
    os.environ["PKUSEG_HOME"] = str(_SESSION_DIR / "pkuseg_home")


def pytest_unconfigure(config):
    for key, value in _SAVED_ENV.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if _SESSION_DIR is not None:
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def seed_records(*docs: str) -> list[dict]:
    rows = [json.loads(line) for line in SEED_UNITS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["doc"] in docs]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    return {name: seed_text(name) for name in SEED_NAMES}


@pytest.fixture(scope="session")
def char_nlp():
    """The shipped model with the character segmenter (no pkuseg weights needed)."""
    import policy_nlp

    return policy_nlp.load(segmenter="char")


@pytest.fixture(scope="session")
def pkuseg_nlp():
    """The shipped model with pkuseg; fetches the pkuseg default model into the session cache if the user's
    cache did not have it."""
    import policy_nlp

    return policy_nlp.load()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A pipeline trained (without CV) on the seed units of three seed reports: 000, 002 and 004."""
    import policy_nlp

    tmp = tmp_path_factory.mktemp("tiny")
    data = write_jsonl(tmp / "three.jsonl", seed_records(SEED_NAMES[0], SEED_NAMES[2], SEED_NAMES[4]))
    policy_nlp.train(str(data), tmp / "model", seeds_dir=SEEDS, cv=False)
    return tmp / "model"


@pytest.fixture(scope="session")
def tiny_nlp(tiny_model):
    """`tiny_model` loaded with the character segmenter (shared: do not change it)."""
    import policy_nlp

    return policy_nlp.load(tiny_model, segmenter="char")
