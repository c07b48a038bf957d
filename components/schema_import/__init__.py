"""SchemaImport: TFX's ImportSchemaGen with the schema file's content in its cache key."""
