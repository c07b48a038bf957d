"""TFX components and component code (ingestion, Transform's preprocessing_fn, Trainer's run_fn)."""
