"""`init`: from a CSV to a schema draft and a commented config side by side, ready for `run`
without edits; the parts shared with `init` from folders of images (`class_folders_init`).

Everything is checked before anything is written, and each file is written whole or not at all,
so a refused input leaves no half-made project. A CSV in scikit-learn's layout
(`csv_table.read_table`) is written as a standard CSV copy under `<out>/data/`, and the config
points there; a standard CSV is used where it lies, and one in a span folder (`span-<N>/`, see
`span_folders`) is read as one span of many.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from typing import List, Optional, Set, Tuple

import schemas
from pipeline.data_files import data_files
from pipeline.datasets import column_profile, csv_table, draft_text, schema_infer, span_folders

SCHEMA_NAME = schemas.SCHEMA_FILE_NAME
CONFIG_NAME = "config.yaml"
DATA_DIR = "data"
OUTPUTS_DIR = "outputs"
GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")
OTHER_FILES_NOTED = 20  # files beside a CSV's data from which `init` suggests a folder of its own
FILES_LISTED = 10_000  # the most files `init` lists under a data root to count them


@dataclasses.dataclass(frozen=True)
class Project:
    """What `init` wrote and what it says about it."""

    schema_path: str
    config_path: str
    draft: schema_infer.Draft
    notes: Tuple[str, ...] = ()  # what the user should know about the data, one line each


def image_channels_of(paths: List[str]) -> int:
    """1 when the first images are all grayscale, else 3."""
    from PIL import Image

    for path in paths[:column_profile.IMAGE_FILES_CHECKED]:
        try:
            with Image.open(path) as image:
                if image.mode not in GRAYSCALE_MODES:
                    return 3
        except OSError:
            continue
    return 1


def config_text(values: dict, draft: schema_infer.Draft) -> str:
    """The config YAML with a comment on each setting (the data's words per layout: a CSV, or
    one folder of images per class)."""
    import yaml

    folders = values.get("layout") == "class_folders"
    spans = span_folders.PATTERN_FOLDER in values.get("input_pattern", "")
    comments = {
        "pipeline_name": "name in the metadata store",
        "schema_path": "the draft schema: feature names, types and roles",
        "data_root": ("folder holding the span folders" if spans else
                      "folder holding one folder of images per class" if folders else
                      "folder holding the data (CSV files and the images they reference)"),
        "layout": "one folder per class under " + ("each span folder" if spans else "data_root"),
        "input_pattern": ("files under data_root that a run ingests, from the newest span"
                          if spans else "files under data_root that a run ingests"),
        "output_dir": "pipeline artifacts, metadata, reports and pushed models",
        "image_height": "images are resized to this size",
        "image_width": "",
        "image_channels": "1: grayscale, 3: RGB",
        "train_steps": "training steps (batches)",
        "max_eval_rmse": "blessed (and pushed) at or below this eval RMSE: the CSV's label "
                         "std, the mean predictor's RMSE (beat_trivial_predictor also checks "
                         "against the eval split's own mean)",
        "min_eval_accuracy": "blessed (and pushed) at or above this eval accuracy: "
                             + ("the largest class folder's share of the images" if folders
                                else "the CSV's largest class share")
                             + " (beat_trivial_predictor also checks against the eval split's "
                             "own)",
    }
    lines = [f"# Config drafted by `init` ({draft_text.task_line(draft)}).",
             "# Every setting, with defaults and bounds: pipeline/config.py."]
    for key, value in values.items():
        text = yaml.safe_dump({key: value}, default_flow_style=True, width=1000).strip()
        text = text[1:-1] if text.startswith("{") else text
        comment = comments.get(key, "")
        lines.append(f"{text:<60} # {comment}" if comment else text)
    return "\n".join(lines) + "\n"


def blessing_bar(draft: schema_infer.Draft) -> dict:
    """The config's blessing threshold: no worse than the trivial predictor on the whole CSV
    (the label's mean for regression, its largest class for classifiers), to 4 decimals, rounded
    so that the trivial predictor's score passes. (The Evaluator's `beat_trivial_predictor`
    bound compares with the eval split's own.)"""
    if draft.task == "regression":
        return {"max_eval_rmse": math.ceil(draft.label_std * 1e4) / 1e4}
    return {"min_eval_accuracy": math.floor(draft.majority_share * 1e4) / 1e4}


def common_settings(out_dir: str, name: str) -> dict:
    """The config's first settings: the pipeline's name and the draft schema's path."""
    return {"pipeline_name": name, "schema_path": os.path.join(out_dir, SCHEMA_NAME)}


def pipeline_name(text: str) -> str:
    """`text` as a pipeline name (characters other than letters, digits, `_.-` as `-`)."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "-" for c in text).strip("-_.")
    return cleaned or "my-pipeline"


def refuse_overwrite(out_dir: str, force: bool) -> None:
    """An InferError when the schema or config exists under `out_dir` and `force` is off."""
    for name in (SCHEMA_NAME, CONFIG_NAME):
        path = os.path.join(out_dir, name)
        if os.path.exists(path) and not force:
            raise schema_infer.InferError(f"{path} exists and may be curated: not overwritten "
                                          "(pass --force, or choose another --out)")


def write_project(out_dir: str, schema_text: str, config: str) -> tuple:
    """Writes the schema, then the config (last: its presence means the project is whole)."""
    schema_path = os.path.join(out_dir, SCHEMA_NAME)
    config_path = os.path.join(out_dir, CONFIG_NAME)
    draft_text.write_text(schema_text, schema_path, force=True)
    draft_text.write_text(config, config_path, force=True)
    return schema_path, config_path


def _whole_number_label_note(table: csv_table.Table, label: str) -> str:
    """A label of a few whole numbers written as decimals (`0.0, 1.0, 2.0`, as pandas writes an
    integer column with gaps) is FLOAT, so regression: said when the values may be classes."""
    values = {row[label].strip() for _, row in table.rows} - {""}
    if len(values) > schema_infer.MAX_INT_CATEGORIES or not all(
            float(value).is_integer() for value in values):
        return ""
    shown = sorted(values, key=float)
    return (f"the label {label!r} holds {len(values)} distinct values, all whole numbers written "
            f"as decimals ({', '.join(shown)}): drafted as regression; if they are classes, "
            f"write them as integers ({', '.join(str(int(float(v))) for v in shown)}) or names "
            "and run init again")


def _unreadable_note(table: csv_table.Table) -> str:
    """What `init` says of lines that cannot be rows: a run quarantines them, and fails when
    they are more than the default `max_quarantine_fraction` of the rows."""
    count = table.unreadable_lines
    return (f"{count} line(s) of {table.path} cannot be rows (first: {table.first_unreadable}): "
            "left out of the draft; a run quarantines them"
            + schema_infer.over_quarantine_limit(count, count + len(table.rows)))


def empty_label_note(draft: schema_infer.Draft, label: str) -> str:
    """What `init` and `schema infer` say of rows without a label: drafted from the others; a
    run quarantines them (a label is required), and fails when they are too many."""
    return (f"the label {label!r} is empty in {draft.label_empty} of {draft.rows} rows (first: "
            f"line {draft.label_first_empty_line}): drafted from the others; a run quarantines "
            "them" + schema_infer.over_quarantine_limit(draft.label_empty, draft.rows))


def rows_without_image_note(table: csv_table.Table, column: str, data_root: str) -> str:
    """What `init` says of rows whose image cell names no PNG/JPEG file under the data root (by
    ingestion's path rule and the file's name; files are not decoded): a run quarantines them,
    and fails when they are too many. Empty when every row names one."""
    missing, first, real_directories = 0, "", {}
    for line, row in table.rows:
        cell = row[column].strip()
        if cell and not cell.lower().endswith(schemas.IMAGE_SUFFIXES):
            path, why = None, f"{cell} is not a PNG/JPEG file name"
        else:
            path, why = schema_infer.image_file(cell, data_root, column, real_directories)
        if path is None:
            missing += 1
            first = first or f"line {line}: {why}"
    if not missing:
        return ""
    return (f"column {column!r} names no PNG/JPEG file in {missing} of {len(table.rows)} rows "
            f"(first: {first}); a run quarantines them"
            + schema_infer.over_quarantine_limit(missing, len(table.rows)))


def _other_files_note(data_root: str, csv_paths: Set[str], output_dir: str) -> Optional[str]:
    """What `init` says when the data root (by default the CSV's folder) also holds many files
    that are neither the CSVs a run reads (one, or one per span) nor images: runs list them all
    (`pipeline.data_files`) to see whether the data changed, so a change to any of them is a
    change of the data."""
    listed = list(itertools.islice(data_files(data_root, output_dir), FILES_LISTED))
    others = [os.path.relpath(path, data_root) for path, _ in listed if path not in csv_paths
              and not path.lower().endswith(schemas.IMAGE_SUFFIXES)]
    if len(others) < OTHER_FILES_NOTED:
        return None
    count = f"at least {len(others)}" if len(listed) == FILES_LISTED else str(len(others))
    return (f"the data root {data_root} also holds {count} files that are neither the CSV nor "
            f"images (e.g. {', '.join(others[:3])}): every run lists them to see whether the "
            "data changed, and a change to any of them sends the next run through TFX's runner "
            "(each component from its cache); a folder holding only the CSV and its images "
            "avoids both")


def init_from_csv(csv_path: str, label: str, out_dir: str, data_root: Optional[str] = None,
                  max_rows: Optional[int] = None, force: bool = False) -> Project:
    """Drafts schema and config for a CSV file (its images relative to `data_root`, by default
    the CSV's folder, or, for a CSV in a span folder, the folder holding the spans)."""
    out_dir = os.path.abspath(out_dir)
    csv_path = os.path.abspath(csv_path)
    spans = span_folders.csv_spans(csv_path)
    if spans and data_root and os.path.abspath(data_root) != spans.root:
        spans = None  # another data root given: this span's CSV alone
    data_root = os.path.abspath(data_root or (spans.root if spans else os.path.dirname(csv_path)))
    table = csv_table.read_table(csv_path, label, max_rows)
    try:
        draft = schema_infer.infer_draft(table, label, data_root)
    except schema_infer.InferError as err:
        if spans and schema_infer.NOT_A_FILE in str(err):
            raise schema_infer.InferError(
                f"{err}; in spans, image paths are relative to the folder holding the span "
                f"folders, {spans.root} (span-{spans.drafted}/<path>), as every run reads "
                "them") from None
        if max_rows is None or len(table.rows) < max_rows:
            raise
        raise schema_infer.InferError(f"{err} (in the first {max_rows} rows only, --rows: drop "
                                      "it to draft from every row)") from None
    name = os.path.splitext(os.path.basename(csv_path))[0]
    notes = []
    if max_rows is not None and draft.rows == max_rows:
        notes.append(f"drafted from the first {max_rows} rows only (--rows): values the sample "
                     "lacks (a new category, a gap in a column it saw full) stop the run or "
                     "quarantine rows; drop --rows to draft from every row")
    if table.empty_last_column:
        notes.append(csv_table.empty_last_column_note(table))
    if table.unreadable_lines:
        notes.append(_unreadable_note(table))
    if draft.label_empty:
        notes.append(empty_label_note(draft, label))
    label_note = _whole_number_label_note(table, label) if draft.task == "regression" else ""
    if label_note:
        notes.append(label_note)
    if table.converted:
        if max_rows is not None:
            table = csv_table.read_table(csv_path, label)
        data_root = os.path.join(out_dir, DATA_DIR)
        pattern = name + ".csv"
        notes.append(f"{csv_path} has {table.converted}: wrote it as a standard CSV to "
                     f"{os.path.join(data_root, pattern)}, which the config reads")
        if spans:
            notes.append(span_folders.converted_span_note(csv_path, spans))
    else:
        pattern = spans.pattern if spans else os.path.relpath(csv_path, data_root)
        if pattern.startswith(os.pardir + os.sep):
            raise csv_table.TableError(f"{csv_path} is not under the data root {data_root}: "
                                       "the CSV and the images it references must lie under it")
        read = ({os.path.join(spans.folder(n), spans.files) for n in spans.numbers} if spans
                else {csv_path})
        other_files = _other_files_note(data_root, read, os.path.join(out_dir, OUTPUTS_DIR))
        notes.extend([span_folders.spans_note(spans)] if spans else [])
        notes.extend([other_files] if other_files else [])
    values = common_settings(out_dir, pipeline_name(os.path.basename(spans.root) if spans
                                                    and not table.converted else name))
    values.update(data_root=data_root, input_pattern=pattern.replace(os.sep, "/"),
                  output_dir=os.path.join(out_dir, OUTPUTS_DIR))
    images = [d.name for d in draft.decisions if d.kind == "image"]
    if images:
        checked = table.rows[:column_profile.IMAGE_FILES_CHECKED]
        paths, _ = schema_infer.image_files([row[images[0]].strip() for _, row in checked],
                                            data_root, images[0])
        values.update(image_height=32, image_width=32, image_channels=image_channels_of(paths))
        notes.extend(filter(None, (rows_without_image_note(table, column, data_root)
                                   for column in images)))
    values["train_steps"] = 1500
    values.update(blessing_bar(draft))
    text = draft_text.render_draft(draft, csv_path)
    refuse_overwrite(out_dir, force)
    if table.converted:
        csv_table.write_standard_csv(table, os.path.join(data_root, pattern))
    schema_path, config_path = write_project(out_dir, text, config_text(values, draft))
    return Project(schema_path, config_path, draft, tuple(notes))
