"""What a run did, read back from ML Metadata: the console summary, the run history and the
self-contained HTML report."""
