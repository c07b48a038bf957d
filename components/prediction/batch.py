"""Batch prediction: raw CSV rows (and the images they reference) -> one output row per input row,
in input order, scored by a pushed model's `serving_default` signature.

Rows go through ingestion's own reader and checks (`components/ingest`): a row that ingestion
would quarantine (an empty required key too) gets its reason instead of a prediction, so nothing
is dropped; only the label, and a key column the file lacks, are not needed. The job streams:
rows are read and scored in chunks, the scored rows are grouped into blocks of BLOCK_ROWS
consecutive lines, each block is sorted and written as a fragment file, and the fragments are
joined in order into the output file, which appears whole or not at all.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam
import numpy as np

from components.errors import DataError, tf_error_text
from components.ingest import beam_transforms, csv_files
from components.ingest.rows import IngestSettings, RowRejected, row_to_example
from components.prediction.model_inputs import check_model_inputs, parsed_features
from schemas import FeatureSet, Role

LINE_COLUMN = "line"
FILE_COLUMN = "file"  # `predict --images`: the image file of the row
REASON_COLUMN = "quarantine_reason"
PREDICTION_KEY = "prediction"  # regression: the served value
CLASS_NAME_KEY = "class_name"  # classifiers: the served class name ...
PROBABILITIES_KEY = "probabilities"  # ... and the probability per class
CLASS_ID_KEY = "class_id"
PROBABILITY_COLUMN = "probability"
ROWS_PER_CHUNK = 256
BLOCK_ROWS = 10_000
FRAGMENT_PREFIX = "block-"
SAVED_MODEL_FILE = "saved_model.pb"


class NoModelError(DataError):
    """No serving model to predict with."""


def latest_model(serving_dir: str) -> str:
    """The newest pushed model (the highest version folder) under a Pusher's serving directory."""
    versions = sorted((int(name) for name in (os.listdir(serving_dir)
                                              if os.path.isdir(serving_dir) else [])
                       if name.isdigit()), reverse=True)
    if not versions:
        raise NoModelError(f"no pushed model under {serving_dir}: run the pipeline until a model "
                           "is blessed and pushed, or pass --model DIR")
    return os.path.join(serving_dir, str(versions[0]))


def check_model_dir(model_dir: str) -> None:
    """Refuses a folder that holds no SavedModel, naming the newest one inside it (a
    Trainer's model artifact keeps it in `Format-Serving/`)."""
    if os.path.isfile(os.path.join(model_dir, SAVED_MODEL_FILE)):
        return
    inside = sorted(name for name in os.listdir(model_dir)
                    if os.path.isfile(os.path.join(model_dir, name, SAVED_MODEL_FILE)))
    hint = (f": pass --model {os.path.join(model_dir, inside[-1])}" if inside
            else ": pass a serving model folder (a version under the config's serving_model/, "
                 "or a Trainer model's Format-Serving/)")
    raise NoModelError(f"--model {model_dir} holds no {SAVED_MODEL_FILE}{hint}")


def prediction_columns(output_keys: Iterable[str]) -> List[str]:
    """The output columns a model's served tensors give: the value (regression) or the class
    name and its probability (classifiers)."""
    keys = set(output_keys)
    if CLASS_NAME_KEY in keys:
        return [CLASS_NAME_KEY, PROBABILITY_COLUMN]
    if PREDICTION_KEY in keys:
        return [PREDICTION_KEY]
    raise DataError(f"the model serves {sorted(keys)}: neither {PREDICTION_KEY!r} nor "
                    f"{CLASS_NAME_KEY!r}")


def output_header(features: FeatureSet, columns: Sequence[str]) -> List[str]:
    """line, the key columns, the prediction columns, the quarantine reason; a key named like
    one of the others is refused (the output would have two columns of that name)."""
    keys = [f.name for f in features.with_role(Role.KEY)]
    taken = sorted(set(keys) & {LINE_COLUMN, *columns, REASON_COLUMN})
    if taken:
        raise DataError(f"key column {taken[0]!r} has the name of a column predict writes "
                        f"({', '.join([LINE_COLUMN, *columns, REASON_COLUMN])}): rename it")
    return [LINE_COLUMN, *keys, *columns, REASON_COLUMN]


def prediction_cells(outputs: Dict[str, np.ndarray], index: int) -> List[str]:
    """The prediction columns of example `index` of a batch of served outputs."""
    if CLASS_NAME_KEY in outputs:
        name = outputs[CLASS_NAME_KEY][index]
        class_id = int(outputs[CLASS_ID_KEY][index])
        return [name.decode("utf-8") if isinstance(name, bytes) else str(name),
                repr(float(outputs[PROBABILITIES_KEY][index][class_id]))]
    return [repr(float(np.ravel(outputs[PREDICTION_KEY][index])[0]))]


class ScoreChunk(beam.DoFn):
    """A chunk of located rows -> (line, output cells) per row: the model's prediction, or the
    reason the row could not be scored."""

    def __init__(self, settings: IngestSettings, data_root: str, model_dir: str):
        self._settings = settings
        self._data_root = data_root
        self._model_dir = model_dir
        self._keys = [f.name for f in settings.features.with_role(Role.KEY)]
        self._serve = None
        self._refused = Exception
        self._columns: List[str] = []
        self._real_directories: Dict[str, str] = {}

    def setup(self):
        import tensorflow as tf

        self._serve = tf.saved_model.load(self._model_dir).signatures["serving_default"]
        self._refused = tf.errors.InvalidArgumentError
        self._columns = prediction_columns(self._serve.structured_outputs)

    def process(self, chunk):
        scored, serialized = [], []
        for _, line, row, rejection in chunk:
            keys = [(row or {}).get(name, "") for name in self._keys]
            try:
                if rejection is not None:
                    raise rejection
                example = row_to_example(row, self._settings, self._data_root,
                                         self._real_directories, for_serving=True)
            except RowRejected as rejected:
                yield line, self._rejected_cells(line, keys, str(rejected))
                continue
            scored.append((line, keys))
            serialized.append(example.SerializeToString())
        if not serialized:
            return
        try:
            outputs = self._serve_examples(serialized)
        except self._refused as refused:  # some row the model cannot read: score rows alone
            logging.info("Scoring %d rows one by one: %s", len(serialized), tf_error_text(refused))
            for (line, keys), example in zip(scored, serialized):
                yield line, self._score_alone(line, keys, example)
            return
        for index, (line, keys) in enumerate(scored):
            yield line, [str(line), *keys, *prediction_cells(outputs, index), ""]

    def _serve_examples(self, serialized: List[bytes]) -> Dict[str, np.ndarray]:
        import tensorflow as tf

        return {name: tensor.numpy() for name, tensor in
                self._serve(examples=tf.constant(serialized)).items()}

    def _score_alone(self, line: int, keys: List[str], example: bytes) -> List[str]:
        try:
            outputs = self._serve_examples([example])
        except self._refused as refused:
            return self._rejected_cells(line, keys, f"the model refused the row: "
                                                    f"{tf_error_text(refused)}")
        return [str(line), *keys, *prediction_cells(outputs, 0), ""]

    def _rejected_cells(self, line: int, keys: List[str], reason: str) -> List[str]:
        return [str(line), *keys, *[""] * len(self._columns), reason]


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_block(block: Tuple[int, Iterable[Tuple[int, List[str]]]], fragments_dir: str) -> None:
    """Writes one block of output rows, sorted by line, as a CSV fragment named by its index."""
    index, lines = block
    ordered = [cells for _, cells in sorted(lines, key=lambda pair: pair[0])]
    path = os.path.join(fragments_dir, f"{FRAGMENT_PREFIX}{index:012d}.csv")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(_csv_text(ordered))


@beam.ptransform_fn
def PredictCsvFile(pipeline, csv_path: str, settings: IngestSettings, data_root: str,  # pylint: disable=invalid-name
                   model_dir: str, fragments_dir: str):
    """One CSV file -> ordered CSV fragments of output rows in `fragments_dir`."""
    return (pipeline
            | "Path" >> beam.Create([csv_path])
            | "ReadRows" >> beam.FlatMap(beam_transforms.located_csv_rows,
                                         settings.max_line_bytes)
            | "Chunk" >> beam.BatchElements(min_batch_size=ROWS_PER_CHUNK,
                                            max_batch_size=ROWS_PER_CHUNK)
            | "Score" >> beam.ParDo(ScoreChunk(settings, data_root, model_dir))
            | "ToBlock" >> beam.Map(lambda pair: (pair[0] // BLOCK_ROWS, pair))
            | "GroupBlocks" >> beam.GroupByKey()
            | "WriteBlocks" >> beam.Map(write_block, fragments_dir))


def check_input(csv_path: str, features: FeatureSet, max_line_bytes: int) -> List[str]:
    """Fails on a header without the schema's input columns; returns the ignored columns."""
    header = csv_files.read_header(csv_path, max_line_bytes)
    return csv_files.check_columns(csv_path, header, features, for_serving=True)


def predict_csv(csv_path: str, settings: IngestSettings, data_root: str, model_dir: str,
                output_path: str, beam_args: Optional[List[str]] = None,
                file_names: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """Scores every row of `csv_path` into `output_path` (written whole or not at all); returns
    the counts of rows scored and quarantined. A model that reads other features than the
    schema provides is refused first (`model_inputs.ModelMismatch`). `file_names`: one per data
    row of a CSV of one-line rows (`image_folder.write_listing`), written in a FILE_COLUMN after
    the line."""
    import tensorflow as tf
    from apache_beam.options.pipeline_options import PipelineOptions

    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    check_model_inputs(model_dir, parsed_features(serve), settings.features)
    columns = prediction_columns(serve.structured_outputs)
    header = output_header(settings.features, columns)
    if file_names is not None:
        header.insert(1, FILE_COLUMN)
    out_dir = os.path.dirname(os.path.abspath(output_path))
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".predict-") as fragments_dir:
        with beam.Pipeline(options=PipelineOptions(beam_args or [])) as pipeline:
            _ = pipeline | "Predict" >> PredictCsvFile(csv_path, settings, data_root, model_dir,
                                                       fragments_dir)
        counts = {"rows_scored": 0, "rows_quarantined": 0}
        partial = os.path.join(fragments_dir, "output.csv")
        with open(partial, "w", newline="", encoding="utf-8") as out:
            out.write(_csv_text([header]))
            for name in sorted(os.listdir(fragments_dir)):
                if not name.startswith(FRAGMENT_PREFIX):
                    continue
                with open(os.path.join(fragments_dir, name), newline="",
                          encoding="utf-8") as fragment:
                    for cells in csv.reader(fragment):
                        counts["rows_quarantined" if cells[-1] else "rows_scored"] += 1
                        if file_names is not None:
                            cells.insert(1, file_names[int(cells[0]) - 2])
                        out.write(_csv_text([cells]))
        os.replace(partial, output_path)
    return counts
