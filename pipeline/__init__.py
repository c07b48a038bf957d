"""The tfx-multimodal pipeline: configuration, `create_pipeline`, runners and run reports."""

# The Evaluator's name for its RMSE metric: set in the eval config, read back by run reports.
RMSE_METRIC = "root_mean_squared_error"
