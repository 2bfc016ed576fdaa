"""Writing and reading a fitted theme estimator without running code from the model file.

`dump_estimator` pickles the estimator; `load_estimator` reads it back through an unpickler that resolves
only an allow-list: scikit-learn, SciPy-sparse and policy_nlp classes, NumPy's array and scalar types and
the few NumPy/copyreg functions that rebuild arrays, and the feature functions of `model.features`. Any
other global a pickle names (`os.system`, `builtins.eval`, …) is refused with E009 before anything is
called, so a tampered model file cannot execute code; its hash is checked before that (E003).
"""
from __future__ import annotations

import importlib
import io
import pickle

import numpy as np

from ..errors import ModelError

PROTOCOL = 5
_CLASS_PREFIXES = ("sklearn.", "scipy.sparse.", "policy_nlp.")
_FUNCTIONS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "dtype"), ("numpy", "ndarray"), ("copyreg", "_reconstructor"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("policy_nlp.model.features", "canonical"), ("policy_nlp.model.features", "section_text"),
    ("policy_nlp.rules", "_rules_from_data"),
}
_BUILTINS = {"object", "set", "frozenset", "slice", "complex", "bytearray", "range", "dict", "list", "tuple",
             "int", "float", "str", "bool"}
_NUMPY_TYPES = {type(np.dtype(code)).__name__ for code in "?bBhHiIlLqQefdgFDGOUSV"} | {
    np.dtype(code).type.__name__ for code in "?bBhHiIlLqQefdgFDGOUSV"}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, source: str):
        super().__init__(io.BytesIO(data))
        self.source = source

    def find_class(self, module: str, name: str):
        if self._allowed(module, name):
            return super().find_class(module, name)
        raise ModelError("E009", path=self.source, name=f"{module}.{name}")

    @staticmethod
    def _allowed(module: str, name: str) -> bool:
        if (module, name) in _FUNCTIONS:
            return True
        if module == "builtins":
            return name in _BUILTINS
        if module.split(".")[0] == "numpy":
            return name in _NUMPY_TYPES
        if module.startswith(_CLASS_PREFIXES) and "." not in name:
            try:
                obj = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError):
                return False
            return isinstance(obj, type)
        return False


def dump_estimator(estimator) -> bytes:
    return pickle.dumps(estimator, protocol=PROTOCOL)


def load_estimator(data: bytes, source: str = "<bytes>"):
    """Read an estimator written by `dump_estimator`, resolving only allow-listed globals."""
    try:
        return _RestrictedUnpickler(data, source).load()
    except ModelError:
        raise
    except Exception as exc:  # a damaged file whose hash matched (written damaged)
        raise ModelError("E014", path=source, detail=f"{type(exc).__name__}: {exc}") from None
