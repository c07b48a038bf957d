"""The tfx-multimodal pipeline: configuration, the DAG and its assembly, runners, run reports
and dataset tools."""
