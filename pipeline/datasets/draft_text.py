"""The text of a draft schema: the task in words, one aligned line per column (what `init` and
`schema infer` print), and the schema file with comments stating the rules above the text
proto, written at once without replacing a curated file."""

from __future__ import annotations

import os

from pipeline.datasets import schema_infer
from pipeline.datasets.schema_infer import Draft

NAME_WIDTH = 24  # the name column of `describe`, wider when a name is longer


def task_line(draft: Draft) -> str:
    """The label's task in words, e.g. `multiclass (3 classes: a, b, c)`."""
    if draft.task == "regression":
        return f"regression (label std {draft.label_std:.4g}: the mean predictor's RMSE)"
    shown = ", ".join(draft.classes[:10]) + (", ..." if len(draft.classes) > 10 else "")
    return f"{draft.task} ({len(draft.classes)} classes: {shown})"


def describe(draft: Draft) -> str:
    """One line per column: its role, type, presence and why, aligned (the name column as wide
    as the longest name, at least NAME_WIDTH)."""
    width = max([NAME_WIDTH] + [len(d.name) for d in draft.decisions])
    lines = []
    for d in draft.decisions:
        role = "left out" if d.kind == "left_out" else d.kind
        presence = "" if d.required else f"optional (>= {d.min_fraction:.0%} present)"
        lines.append(f"  {d.name:<{width}} {role:<12} {d.dtype:<6} {presence:<26} {d.note}"
                     .rstrip())
    return "\n".join(lines)


def render_draft(draft: Draft, source: str) -> str:
    """The draft's text: comments stating the decisions, then the schema text proto."""
    from google.protobuf import text_format

    header = [
        f"# Draft schema inferred from {source} ({draft.rows} rows) by `schema infer`.",
        f"# Task: {task_line(draft)}.",
        "# Rules: an empty cell is a missing value; a column with gaps is optional (presence "
        f"{schema_infer.PRESENCE_MARGIN:.2f} or",
        f"# {schema_infer.PRESENCE_STANDARD_ERRORS} standard errors below the share seen); INT "
        f"columns with <= {schema_infer.MAX_INT_CATEGORIES} distinct values (and",
        f"# {schema_infer.MIN_ROWS_PER_CATEGORY} rows per value) and text columns with <= "
        f"{schema_infer.MAX_STRING_CATEGORIES} are categorical;",
        "# a text column with a distinct value without spaces in every row that holds one is a "
        "key (never a model input; optional when some rows are empty, like any column "
        "with gaps);",
        "# DEPRECATED features (left out) are read but not used. Columns:",
    ]
    header += [f"#{line[1:]}" for line in describe(draft).splitlines()]
    return "\n".join(header) + "\n" + text_format.MessageToString(draft.schema)


def write_text(text: str, out_path: str, force: bool = False) -> str:
    """Writes a draft file at once (temporary file renamed); refuses to overwrite an existing
    (curated) file unless `force`."""
    if os.path.exists(out_path) and not force:
        raise schema_infer.InferError(f"{out_path} exists and may be curated: not overwritten "
                                      "(pass --force, or choose another --out)")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    partial = out_path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, out_path)
    return out_path
