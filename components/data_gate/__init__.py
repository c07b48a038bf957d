"""The data gate: stops the pipeline on data anomalies before Transform and Trainer run."""
