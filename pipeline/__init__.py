"""The tfx-multimodal pipeline: configuration, `create_pipeline`, runners and run reports."""
