"""The files of an ingestion report folder, read without Beam or TFX (the run summary and
history read a failed run's kept report): the per-input row counts, the most frequent
quarantine reasons, and the copy of a failing execution's report that outlives TFX's deleting
its outputs."""

from __future__ import annotations

import json
import posixpath
from typing import Dict

FAILED_REPORTS_DIR_NAME = "failed-ingest-reports"
REASONS_SHOWN = 3  # the most frequent quarantine reasons named when the share fails the run


def read_counts(report_dir: str) -> Dict[str, int]:
    """Adds up the per-input count files that `WriteIngestReport` wrote."""
    import tensorflow as tf

    totals = {"rows_ingested": 0, "rows_quarantined": 0}
    for path in tf.io.gfile.glob(posixpath.join(report_dir, "*-counts.json")):
        with tf.io.gfile.GFile(path) as handle:
            for line in handle:
                for key, value in json.loads(line).items():
                    totals[key] += int(value)
    totals["rows_read"] = totals["rows_ingested"] + totals["rows_quarantined"]
    return totals


def common_reasons(report_dir: str) -> str:
    """The most frequent column and reason of the quarantine records in a report folder, with
    their counts, e.g. "target: missing required value (3 rows)"."""
    import collections

    import tensorflow as tf

    counted: collections.Counter = collections.Counter()
    for path in tf.io.gfile.glob(posixpath.join(report_dir, "*-quarantine-*.jsonl")):
        with tf.io.gfile.GFile(path) as handle:
            counted.update(f"{record['column']}: {record['reason']}"
                           for record in map(json.loads, handle))
    return ", ".join(f"{reason} ({count} row{'' if count == 1 else 's'})"
                     for reason, count in counted.most_common(REASONS_SHOWN))


def keep_failed_report(report_dir: str, examples_uri: str) -> str:
    """Copies the ingest report of a failing execution next to the component's outputs and
    returns the copy's folder: TFX deletes a failed execution's output artifacts, the report
    inside the Examples artifact with them. <component>/examples/<id> -> <component>/
    failed-ingest-reports/<id>."""
    import tensorflow as tf

    examples_uri = examples_uri.rstrip("/")
    kept = posixpath.join(posixpath.dirname(posixpath.dirname(examples_uri)),
                          FAILED_REPORTS_DIR_NAME, posixpath.basename(examples_uri))
    tf.io.gfile.makedirs(kept)
    for path in tf.io.gfile.glob(posixpath.join(report_dir, "*")):
        tf.io.gfile.copy(path, posixpath.join(kept, posixpath.basename(path)), overwrite=True)
    return kept
