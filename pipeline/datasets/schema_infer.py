"""`schema infer`: a first TFDV schema from a sample of a user's CSV, for a person to curate.

TFDV infers types, presence and string domains from statistics of the sample. Columns whose
values are image paths get an `image_domain` instead of a string domain; the label column gets
the `label` annotation. The result is a draft: it never replaces an existing schema unless asked.
"""

from __future__ import annotations

import csv
import os
from typing import List, Optional

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class InferError(ValueError):
    """The sample cannot give a schema (no rows, unknown label, existing output)."""


def read_sample(csv_path: str, max_rows: int) -> List[dict]:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [row for _, row in zip(range(max_rows), reader)]


def image_columns(sample: List[dict]) -> List[str]:
    """Columns whose non-empty values all end like image files."""
    columns = []
    for column in sample[0]:
        values = [row[column] for row in sample if row[column]]
        if values and all(v.lower().endswith(IMAGE_SUFFIXES) for v in values):
            columns.append(column)
    return columns


def infer_schema(csv_path: str, label: str, max_rows: int = 1000):
    """A draft `schema_pb2.Schema` for the CSV file's columns."""
    import pandas as pd
    import tensorflow_data_validation as tfdv

    sample = read_sample(csv_path, max_rows)
    if not sample:
        raise InferError(f"{csv_path} has no data rows to infer a schema from")
    if label not in sample[0]:
        raise InferError(f"label {label!r} is not a column of {csv_path}: {list(sample[0])}")
    images = image_columns(sample)
    frame = pd.DataFrame(sample)
    for column in frame.columns:
        if column not in images:
            numeric = pd.to_numeric(frame[column], errors="coerce")
            if numeric.notna().all():
                frame[column] = numeric.astype(float)
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(frame),
                               infer_feature_shape=True)
    for feature in schema.feature:
        if feature.name in images:
            domain = feature.domain
            feature.ClearField("domain")
            feature.image_domain.SetInParent()
            _drop_string_domain(schema, domain)
        if feature.name == label:
            feature.annotation.tag.append("label")
    return schema


def _drop_string_domain(schema, name: str) -> None:
    for index, domain in enumerate(schema.string_domain):
        if domain.name == name:
            del schema.string_domain[index]
            return


def write_draft(schema, out_path: str, force: bool = False) -> str:
    """Writes the draft; refuses to overwrite an existing (curated) schema unless `force`."""
    import tensorflow_data_validation as tfdv

    if os.path.exists(out_path) and not force:
        raise InferError(f"{out_path} exists and may be curated: not overwritten (pass --force, "
                         "or choose another --out)")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tfdv.write_schema_text(schema, out_path)
    return out_path


def describe(schema) -> Optional[str]:
    """The roles the pipeline will derive from the draft, one line per feature."""
    import schemas

    features = schemas.feature_set_from_schema(schema)
    return "\n".join(f"  {f.name:<20} {f.role.value:<12} {f.dtype.value}"
                     for f in features.features)
