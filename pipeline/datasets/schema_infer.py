"""`schema infer`: a draft TFDV schema from a user's CSV that `run` accepts as it is.

Each column is profiled over the sample (`column_profile.py`), then given a role (`decide`):

* an empty cell is a missing value; a column with gaps is optional: no fixed shape and
  `presence.min_fraction` below the share of rows that hold a value by PRESENCE_MARGIN or, when
  more, PRESENCE_STANDARD_ERRORS standard errors of that share over an eval split of a run on
  the sample's rows (so a split with a few more gaps than the sample, by chance, passes the
  data gate: 0.05 stopped a 26-row eval split of Boston prices at 69% present for 74% seen);
* a column whose values (at least 90% of them: `column_profile.MOSTLY_IMAGES`) end in
  .png/.jpg/.jpeg is an image feature when those files exist under the data root, by
  ingestion's path rule (`components/ingest/image_paths.py`);
* integers are INT, other numbers FLOAT; an INT column with at most MAX_INT_CATEGORIES distinct
  values, each in MIN_ROWS_PER_CATEGORY rows on average, is categorical (`int_domain {
  is_categorical: true }`), else numeric (linnerud's 20 waists, 9 distinct values, were drafted
  a category, and a new span's waist of 47 stopped the run as out of its domain); a column of
  integers some of which do not fit INT's 64 bits is a key (text) when they are distinct in
  every row (a 20-digit id), else numeric FLOAT, with a note;
* a text column with at most MAX_STRING_CATEGORIES distinct values is categorical (a string
  domain of the values seen); one whose values are all distinct and hold no spaces (an id) is
  a key, kept for prediction output but never a model input (with empty cells, an optional
  one: training keeps a row without it, `predict` scores it with the key empty; a required
  key's empty cell quarantines the row in both); any other, free text included, is left out
  of the model (`lifecycle_stage: DEPRECATED`: read, not used), as is a column with no value
  at all or a single value;
* a text column whose values are nearly all numbers says how many are not and the first; a FLOAT
  column (or label) with numbers beyond a 32-bit float's range (`1e39`) says how many, the
  first, and whether a run, which quarantines their rows, would fail on them;
* the label is required (a run quarantines a row without one) and is drafted from the rows
  that hold one (none: an error); its task is regression (numbers), binary or
  multiclass (text, or integers with at most MAX_INT_CATEGORIES values; integers with gaps
  between them get a string domain of their values, as an int_domain's classes are every
  integer from its min to its max).

The draft's text, comments stating these decisions above the schema, is `draft_text.py`'s.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import List, Optional, Sequence, Set, Tuple

from components.errors import DataError, separator_hint
from components.ingest.image_paths import resolve_image_path
from components.ingest.rejections import RowRejected
from pipeline.config import ConfigError, PipelineConfig
from pipeline.datasets.column_profile import ColumnProfile, profile_columns
from pipeline.datasets.csv_table import Table

MAX_INT_CATEGORIES = 10
MIN_ROWS_PER_CATEGORY = 5  # an INT feature with fewer rows per distinct value is numeric
MAX_STRING_CATEGORIES = 100
MIN_KEY_VALUES = 10  # fewer distinct values than this are never taken for an id column
PRESENCE_MARGIN = 0.05  # the least margin below the share of rows holding a value
PRESENCE_STANDARD_ERRORS = 4
NOT_A_FILE = "is not a file there"  # why an image cell that the path rule accepts names no file


class InferError(DataError, ValueError):
    """The sample cannot give a schema (label gaps, too many classes, existing output)."""


@dataclasses.dataclass(frozen=True)
class Decision:
    """The role a column gets in the draft and why (`kind`: image, numeric, categorical, key,
    label or left_out)."""

    name: str
    kind: str
    dtype: str = "BYTES"
    required: bool = True
    min_fraction: float = 1.0
    values: Tuple[str, ...] = ()
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Draft:
    """A draft schema and what it says: the label's task, its classes, the mean predictor's
    RMSE (regression) or the majority class's share (classification), and the decisions per
    column."""

    schema: object
    task: str
    decisions: Tuple[Decision, ...]
    classes: Tuple[str, ...] = ()
    label_std: float = 0.0
    majority_share: float = 0.0
    rows: int = 0
    label_empty: int = 0  # rows whose label cell is empty (runs quarantine them)
    label_first_empty_line: int = 0


def _presence(profile: ColumnProfile) -> Tuple[bool, float]:
    if profile.present == profile.rows:
        return True, 1.0
    share = profile.present / profile.rows
    margin = max(PRESENCE_MARGIN, PRESENCE_STANDARD_ERRORS * math.sqrt(
        share * (1 - share) / eval_split_rows(profile.rows)))
    return False, max(0.0, math.floor(round((share - margin) * 100, 6)) / 100)


def eval_split_rows(rows: int) -> float:
    """About how many of `rows` rows a run's eval split gets (the config's default hash
    buckets), at least one."""
    fields = PipelineConfig.model_fields
    train, evaluation = fields["train_buckets"].default, fields["eval_buckets"].default
    return max(1.0, rows * evaluation / (train + evaluation))


def _sorted_values(values: Set[str], ints: bool) -> Tuple[str, ...]:
    return tuple(sorted(values, key=int) if ints else sorted(values))


def image_file(cell: str, data_root: str, column: str,
               real_directories: dict) -> Tuple[Optional[str], str]:
    """The file an image cell names under the data root by the rule ingestion applies, or None
    and why not (the rule's reason, or that no file is there)."""
    try:
        path = resolve_image_path(data_root, cell, column, real_directories)
    except RowRejected as refused:
        return None, refused.reason.value + (f" ({refused.detail})" if refused.detail else "")
    return (path, "") if os.path.isfile(path) else (None, f"{cell} {NOT_A_FILE}")


def image_files(cells: Sequence[str], data_root: str, column: str) -> Tuple[List[str], str]:
    """The files image cells name under the data root, by the rule ingestion applies, and why
    the first cell that names none does not (the rule's reason, or that no file is there)."""
    files, why, real_directories = [], "", {}
    for cell in cells:
        path, refused = image_file(cell, data_root, column, real_directories)
        if path:
            files.append(path)
        elif not why:
            why = refused + (" (pass --data-root: the folder the paths are relative to)"
                             if refused.endswith(NOT_A_FILE) else "")
    return files, why


def decide(profile: ColumnProfile, label: str, data_root: str) -> Decision:
    """The role of one profiled column (rules in the module docstring)."""
    name = profile.name
    if profile.present == 0 and name != label:
        return Decision(name, "left_out", note="no value in the sample")
    required, min_fraction = _presence(profile)
    numeric = profile.floats
    dtype = ("INT" if numeric and profile.ints and not profile.beyond_int64
             else "FLOAT" if numeric else "BYTES")
    count = len(profile.distinct)
    if name == label:
        return _label_decision(profile, dtype)
    if count == 1:
        return Decision(name, "left_out", dtype=dtype, required=required,
                        min_fraction=min_fraction, note="a single value: carries nothing")
    common = dict(dtype=dtype, required=required, min_fraction=min_fraction)
    if not numeric and profile.images:
        found, why = image_files(profile.first_values, data_root, name)
        if not found:
            raise InferError(
                f"column {name!r} holds image paths, but none of its first "
                f"{len(profile.first_values)} are files under the data root {data_root}: "
                f"{why}")
        return Decision(name, "image", required=True, note="PNG/JPEG paths under the data root")
    if dtype == "INT":
        if count <= MAX_INT_CATEGORIES and profile.present >= MIN_ROWS_PER_CATEGORY * count:
            return Decision(name, "categorical", **common,
                            values=_sorted_values(profile.distinct, True),
                            note=f"{count} distinct integers (<= {MAX_INT_CATEGORIES})")
        if count <= MAX_INT_CATEGORIES:
            return Decision(name, "numeric", **common,
                            note=f"{count} distinct integers in {profile.present} rows: a "
                                 f"measurement (a category takes >= {MIN_ROWS_PER_CATEGORY} rows "
                                 "per value; if it is one, draft from more rows)")
        if count == profile.present and count >= MIN_KEY_VALUES:
            return Decision(name, "numeric", **common,
                            note=f"{_distinct_in(profile, 'integer')}: if it is a row id, tag "
                                 "it key (as a model input it can leak how rows were ordered)")
        return Decision(name, "numeric", **common)
    if dtype == "FLOAT" and profile.ints:  # integers, some beyond 64 bits
        beyond = (f"integers beyond INT's 64 bits (first: {profile.beyond_int64!r}, "
                  f"{len(profile.beyond_int64.strip().lstrip('+-'))} digits)")
        if count == profile.present and count >= MIN_KEY_VALUES:
            return Decision(name, "key", dtype="BYTES", required=required,
                            min_fraction=min_fraction,
                            note=f"{_distinct_in(profile, 'integer')}, {beyond}: an id, kept "
                                 "as text")
        return Decision(name, "numeric", **common,
                        note=f"{beyond}: FLOAT (a 32-bit float keeps about 7 digits)")
    if dtype == "FLOAT":
        return Decision(name, "numeric", **common)
    if count == profile.present and count >= MIN_KEY_VALUES:
        if any(any(char.isspace() for char in value) for value in profile.counts):
            return Decision(name, "left_out", **common,
                            note=f"free text ({_distinct_in(profile, 'value')}, with spaces): "
                                 "not an id")
        return Decision(name, "key", **common, note=f"{_distinct_in(profile, 'value')}: an id")
    if count <= MAX_STRING_CATEGORIES:
        return Decision(name, "categorical", **common, values=_sorted_values(profile.distinct,
                                                                             False),
                        note=f"{count} distinct values (<= {MAX_STRING_CATEGORIES})")
    return Decision(name, "left_out", **common,
                    note=f"{count} distinct text values (> {MAX_STRING_CATEGORIES}): too many "
                         "categories, not an id")


def _distinct_in(profile: ColumnProfile, what: str) -> str:
    """"a distinct <what> in every row", or in every non-empty row and how many rows are empty
    (an empty cell is a missing value, not a value)."""
    empty = profile.rows - profile.present
    if not empty:
        return f"a distinct {what} in every row"
    return f"a distinct {what} in every non-empty row ({empty} of {profile.rows} rows empty)"


def _label_decision(profile: ColumnProfile, dtype: str) -> Decision:
    name, count = profile.name, len(profile.distinct)
    if not profile.present:
        raise InferError(f"the label {name!r} is empty in every row ({profile.rows}): nothing "
                         "to learn from")
    if count < 2:
        raise InferError(f"the label {name!r} has a single value ({next(iter(profile.distinct))})"
                         ": nothing to learn")
    if dtype == "FLOAT" or (dtype == "INT" and count > MAX_INT_CATEGORIES):
        return Decision(name, "label", dtype=dtype, note="regression")
    if count > MAX_STRING_CATEGORIES:
        hint = (f"; {profile.mostly_numbers}: a regression label needs a number in every row"
                if profile.mostly_numbers else "")
        raise InferError(f"the label {name!r} holds {count} distinct text values: too many "
                         f"classes (at most {MAX_STRING_CATEGORIES}){hint}")
    task = "binary" if count == 2 else "multiclass"
    values = _sorted_values(profile.distinct, dtype == "INT")
    if dtype == "INT" and int(values[-1]) - int(values[0]) >= count:
        # an int_domain's classes are every integer from min to max: with gaps (0 and 2; 1..8
        # and 24) that adds classes no row holds, so the values become a string domain
        dtype = "BYTES"
    return Decision(name, "label", dtype=dtype, values=values, note=task)


def build_schema(decisions: Sequence[Decision]):
    """The `schema_pb2.Schema` of the decisions."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    schema.default_environment.extend(["TRAINING", "SERVING"])
    for decision in decisions:
        feature = schema.feature.add(name=decision.name,
                                     type=getattr(schema_pb2, decision.dtype))
        if decision.required:
            feature.shape.dim.add(size=1)
            feature.presence.min_fraction = 1.0
            feature.presence.min_count = 1
        else:
            feature.presence.min_fraction = decision.min_fraction
        if decision.kind == "image":
            feature.image_domain.SetInParent()
        elif decision.kind == "key":
            feature.annotation.tag.append("key")
        elif decision.kind == "left_out":
            feature.lifecycle_stage = schema_pb2.DEPRECATED
        elif decision.kind == "label":
            feature.annotation.tag.append("label")
            feature.not_in_environment.append("SERVING")
        if decision.kind in ("categorical", "label") and decision.values:
            if decision.dtype == "INT":
                feature.int_domain.min = int(decision.values[0])
                feature.int_domain.max = int(decision.values[-1])
                feature.int_domain.is_categorical = True
            else:
                feature.domain = decision.name
                schema.string_domain.add(name=decision.name, value=decision.values)
    return schema


def over_quarantine_limit(count: int, total: int) -> str:
    """What follows "a run quarantines them" when `count` of `total` rows are more than the
    default `max_quarantine_fraction`: that the run fails, and what to do (else nothing)."""
    share = count / total
    limit = PipelineConfig.model_fields["max_quarantine_fraction"].default
    return (f"; that is {share:.1%} of the rows, over max_quarantine_fraction ({limit:.0%}), "
            "which fails the run: fix them or raise the limit in the config"
            if share > limit else "")


def _noted(decision: Decision, profile: ColumnProfile) -> Decision:
    """The decision of a column, its note led by the values a run would refuse: a feature's
    text among numbers (`mostly_numbers`), a FLOAT's numbers beyond a 32-bit float's range."""
    advice = []
    if decision.kind != "label" and profile.mostly_numbers:
        advice.append(f"{profile.mostly_numbers}: fix or empty them to make it numeric")
    if decision.dtype == "FLOAT" and decision.kind in ("numeric", "label") \
            and profile.beyond_float32:
        advice.append(f"{profile.beyond_float32} of {profile.present} values beyond a 32-bit "
                      f"float's range (first: {profile.first_beyond_float32!r}): a run "
                      "quarantines their rows as infinite"
                      + over_quarantine_limit(profile.beyond_float32, profile.rows))
    if not advice:
        return decision
    return dataclasses.replace(decision, note="; ".join(filter(None, (*advice, decision.note))))


def infer_draft(table: Table, label: str, data_root: str) -> Draft:
    """The draft of a table's columns; the label must be one of them."""
    if label not in table.header:
        raise ConfigError(f"--label {label!r} is not a column of {table.path}: {table.header}"
                          f"{separator_hint(table.header)}")
    profiles = profile_columns(table)
    decided = [decide(profile, label, data_root) for profile in profiles]
    label_decision = next(d for d in decided if d.kind == "label")  # its note: the task
    decisions = tuple(_noted(decision, profile) for decision, profile in zip(decided, profiles))
    if not any(d.kind in ("image", "numeric", "categorical") for d in decisions):
        raise InferError(f"{table.path}: no column besides the label can be a model input")
    label_profile = next(p for p in profiles if p.name == label)
    regression = label_decision.note == "regression"
    return Draft(build_schema(decisions),
                 task=label_decision.note, decisions=decisions, classes=label_decision.values,
                 label_std=label_profile.std if regression else 0.0,
                 majority_share=0.0 if regression else label_profile.majority_share,
                 rows=len(table.rows), label_empty=label_profile.rows - label_profile.present,
                 label_first_empty_line=label_profile.first_empty_line)
