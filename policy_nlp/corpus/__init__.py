"""Documents and corpus I/O: the reviewer JSON, reading inputs, batch runs and the worker pool."""
