"""The package version, read by the layers that record it (model fingerprints, model meta) and by pyproject."""
__version__ = "0.1.0"
