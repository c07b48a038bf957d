"""Transform's preprocessing_fn and its settings, derived from the schema's feature roles."""
