"""Where a run is executed: LocalDagRunner, Kubeflow (compile and deploy), the local scheduler
and the output-directory lock that keeps runs from overlapping."""
