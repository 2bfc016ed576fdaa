"""Learning from labelled units: reading and merging labels, training, cross-validation and evaluation."""
