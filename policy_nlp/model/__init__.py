"""The theme model: unit features, the scikit-learn estimator, its threshold table, metrics and safe persistence."""
