"""The package's layers point down only: every import of a policy_nlp module (function-level ones included)
goes to a lower layer, or sideways within its layer, and no modules import each other in a cycle.

Bottom to top: errors and version → rules → model → components → model_dir and pipeline → corpus → learn →
api → cli (and the package's `__init__`, which gathers the public names)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import policy_nlp

PACKAGE = Path(policy_nlp.__file__).resolve().parent

LAYERS = (
    ("policy_nlp.errors", "policy_nlp.version", "policy_nlp.atomic", "policy_nlp.jsonio"),
    ("policy_nlp.rules",),
    ("policy_nlp.model",),
    ("policy_nlp.components",),
    ("policy_nlp.model_dir", "policy_nlp.pipeline"),
    ("policy_nlp.corpus",),
    ("policy_nlp.learn",),
    ("policy_nlp.api",),
    ("policy_nlp.cli", "policy_nlp.__main__", "policy_nlp"),
)


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package at `package_dir`."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `module` imports anywhere in its file (a name imported from a package is
    the submodule of that name when there is one, else the package)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return {name for name in out if name in known and name != module}


def layer_of(module: str) -> int:
    """The index in `LAYERS` of the longest prefix that names `module` (or its package)."""
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} imports {b} (layer {layer_of(a)} → {layer_of(b)})"
                  for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of `graph`, one per strongly connected set of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    names = module_names(package_dir)
    return {name: imported(name, path, set(names)) for name, path in names.items()}


def test_every_import_points_down_or_sideways():
    assert upward(import_graph(PACKAGE)) == []


def test_no_import_cycles():
    assert cycles(import_graph(PACKAGE)) == []


def test_every_module_is_in_a_layer():
    for name in module_names(PACKAGE):
        layer_of(name)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "policy_nlp" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "policy_nlp"


@pytest.mark.parametrize("source", [
    "from ..api import annotate\n",  # module level
    "def f():\n    from ..api import MAX_CHARS\n",  # function level
    "def f():\n    from .. import api\n",  # the module named as a package attribute
])
def test_an_upward_import_is_found(tmp_path, source):
    pkg = _write(tmp_path, {"__init__.py": "", "api.py": "", "corpus/__init__.py": "", "corpus/batch.py": source})
    assert upward(import_graph(pkg)) == ["policy_nlp.corpus.batch imports policy_nlp.api (layer 5 → 7)"]


def test_the_version_read_from_the_package_top_is_upward(tmp_path):
    pkg = _write(tmp_path, {"__init__.py": "__version__ = '1'\n", "learn/__init__.py": "",
                            "learn/training.py": "def f():\n    from .. import __version__\n"})
    assert upward(import_graph(pkg)) == ["policy_nlp.learn.training imports policy_nlp (layer 6 → 8)"]


def test_a_cycle_within_a_layer_is_found(tmp_path):
    pkg = _write(tmp_path, {"__init__.py": "", "corpus/__init__.py": "",
                            "corpus/batch.py": "from .tables import write\n",
                            "corpus/tables.py": "def f():\n    from .batch import rows\n",
                            "corpus/inputs.py": "from .tables import write\n"})
    assert upward(import_graph(pkg)) == []
    assert cycles(import_graph(pkg)) == [["policy_nlp.corpus.batch", "policy_nlp.corpus.tables"]]
