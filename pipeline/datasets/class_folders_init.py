"""`init --layout class_folders`: from folders of images, one per class (`<data_root>/<class>/
<image>`, or the same under span folders, `<data_root>/span-<N>/<class>/<image>`), to a schema
draft and a commented config, ready for `run` without edits."""

from __future__ import annotations

import os
import posixpath
from typing import List

import schemas
from pipeline.config import ConfigError
from pipeline.data_files import undecodable_file_name
from pipeline.datasets import column_profile, csv_table, draft_text, project_init, schema_infer
from pipeline.datasets import span_folders

CLASS_LABEL = "label"
CLASS_IMAGE = "image"


def class_folder_images(data_root: str) -> dict:
    """class name -> PNG/JPEG files in `<data_root>/<class>/` (classes with no image left out)."""
    classes = {}
    for entry in sorted(os.listdir(data_root)):
        folder = os.path.join(data_root, entry)
        if os.path.isdir(folder):
            files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                           if f.lower().endswith(schemas.IMAGE_SUFFIXES))
            if files:
                classes[entry] = files
    return classes


def images_not_in_class_folders(data_root: str, in_spans: bool = False) -> List[str]:
    """PNG/JPEG files under `data_root` (relative paths, sorted) that the class_folders layout
    does not read: in the data root itself, or in a subfolder of a class folder; with spans
    (`in_spans`), anywhere but `span-<N>/<class>/`."""
    found = []
    for directory, folders, names in os.walk(data_root):
        folders.sort()
        parts = () if directory == data_root else os.path.relpath(directory, data_root).split(
            os.sep)
        read = (len(parts) == 2 and span_folders.span_number(parts[0]) is not None
                if in_spans else len(parts) == 1)
        if not read:
            found.extend(os.path.relpath(os.path.join(directory, name), data_root)
                         for name in sorted(names)
                         if name.lower().endswith(schemas.IMAGE_SUFFIXES))
    return found


def init_from_class_folders(data_root: str, out_dir: str, force: bool = False
                            ) -> project_init.Project:
    """Drafts schema and config for `<data_root>/<class>/<image>` files, or, when the data root
    holds span folders, for `<data_root>/span-{SPAN}/<class>/<image>` from the newest span."""
    out_dir = os.path.abspath(out_dir)
    data_root = os.path.abspath(data_root)
    if not os.path.isdir(data_root):
        raise ConfigError(f"--data-root {data_root} is not a folder")
    spans = span_folders.class_folder_spans(data_root)
    pattern = spans.pattern if spans else span_folders.CLASS_FOLDERS_FILES
    undecodable = undecodable_file_name(data_root, [pattern])
    if undecodable:
        raise csv_table.TableError(f"{data_root} holds a file whose name is not UTF-8 text "
                                   f"({undecodable}), which a run cannot list: rename or move it")
    drafted_root = spans.folder(spans.drafted) if spans else data_root
    classes = class_folder_images(drafted_root)
    if len(classes) < 2:
        raise csv_table.TableError(
            f"{drafted_root} holds PNG/JPEG images in {len(classes)} class folder(s) "
            f"({', '.join(classes) or 'none'}); the class_folders layout needs at least two "
            "(<data_root>/<class>/<image>" + (", in each span folder)" if spans else ")"))
    refused_notes = []
    for name, files in classes.items():
        checked = [posixpath.join(name, os.path.basename(f))
                   for f in files[:column_profile.IMAGE_FILES_CHECKED]]
        found, why = schema_infer.image_files(checked, drafted_root, CLASS_IMAGE)
        if not found:
            raise schema_infer.InferError(f"class folder {name!r} under {drafted_root}: {why}")
        if len(found) < len(checked):
            refused_notes.append(f"class folder {name!r}: {len(checked) - len(found)} of the "
                                 f"first {len(checked)} images a run quarantines: {why}")
    decisions = (
        schema_infer.Decision(CLASS_IMAGE, "image", note="the image file"),
        schema_infer.Decision(CLASS_LABEL, "label", values=tuple(classes),
                              note="binary" if len(classes) == 2 else "multiclass"))
    images = sum(len(files) for files in classes.values())
    draft = schema_infer.Draft(schema_infer.build_schema(decisions), task=decisions[1].note,
                               decisions=decisions, classes=tuple(classes), rows=images,
                               majority_share=max(map(len, classes.values())) / images)
    values = project_init.common_settings(out_dir,
                                          project_init.pipeline_name(os.path.basename(data_root)))
    values.update(data_root=data_root, layout="class_folders",
                  input_pattern=pattern,
                  output_dir=os.path.join(out_dir, project_init.OUTPUTS_DIR), image_height=32,
                  image_width=32,
                  image_channels=project_init.image_channels_of([f for files in classes.values()
                                                                 for f in files[:2]]),
                  train_steps=1500, **project_init.blessing_bar(draft))
    text = draft_text.render_draft(draft, posixpath.join(drafted_root, "<class>/<image>"))
    project_init.refuse_overwrite(out_dir, force)
    schema_path, config_path = project_init.write_project(
        out_dir, text, project_init.config_text(values, draft))
    unread = images_not_in_class_folders(data_root, in_spans=spans is not None)
    layout = "<data_root>/span-<N>/<class>/<image>" if spans else "<data_root>/<class>/<image>"
    notes = (f"{len(unread)} PNG/JPEG file(s) under {data_root} are not directly in a class "
             f"folder and are not read (first: {unread[0]}): the class_folders layout reads "
             f"{layout}",) if unread else ()
    spans_notes = (span_folders.spans_note(spans),) if spans else ()
    return project_init.Project(schema_path, config_path, draft,
                                spans_notes + tuple(refused_notes) + notes)
