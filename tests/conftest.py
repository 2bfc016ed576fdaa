"""Shared fixtures: the seed reports and pipelines loaded once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_UNITS = ROOT / "training" / "data" / "seed_units.jsonl"
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


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
    """The shipped model with pkuseg; fetches the pkuseg default model into the cache on first use."""
    import policy_nlp

    return policy_nlp.load()
