"""SchemaImport: TFX's ImportSchemaGen with the schema file's content in its cache key.

TFX caches a component on its properties and inputs. ImportSchemaGen's only property is the
schema file's path, so a schema edited in place came from the cache: the run kept the old
schema artifact while ingestion and Transform, whose settings carry the features, read the new
file (a new key column then failed Transform with a KeyError). SchemaImport adds the file's
fingerprint as a `schema_fingerprint` property (`pipeline/fingerprint.py`); TFX's own executor
copies the file as before and does not read the property.
"""

from __future__ import annotations

from tfx import types
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.base import base_component
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ExecutionParameter

SCHEMA_FINGERPRINT_KEY = "schema_fingerprint"


class SchemaImportSpec(standard_component_specs.ImportSchemaGenSpec):
    """ImportSchemaGen's spec plus the schema file's fingerprint."""

    PARAMETERS = {**standard_component_specs.ImportSchemaGenSpec.PARAMETERS,
                  SCHEMA_FINGERPRINT_KEY: ExecutionParameter(type=str)}


class SchemaImport(ImportSchemaGen):
    """Copies `schema_file` into a Schema artifact; re-runs whenever the file's bytes change."""

    SPEC_CLASS = SchemaImportSpec

    # pylint: disable-next=super-init-not-called
    def __init__(self, schema_file: str, schema_fingerprint: str):
        spec = SchemaImportSpec(schema_file=schema_file, schema_fingerprint=schema_fingerprint,
                                schema=types.Channel(type=standard_artifacts.Schema))
        base_component.BaseComponent.__init__(self, spec=spec)
