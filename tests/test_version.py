"""The version lives in policy_nlp/version.py alone: the package, its metadata and model fingerprints agree."""
import importlib.metadata
import re
from pathlib import Path

import policy_nlp
from policy_nlp.version import __version__


def test_the_package_and_its_metadata_read_version_py():
    assert policy_nlp.__version__ is __version__
    assert importlib.metadata.version("policy_nlp") == __version__


def test_pyproject_has_no_version_of_its_own():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'(?m)^version\s*=\s*"', pyproject) is None  # no literal version string
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "policy_nlp.version.__version__"}' in pyproject
