"""A folder of images as rows to predict (`predict --images DIR`): every PNG/JPEG file under the
folder, its path relative to the folder in the schema's one image column, written as the CSV that
batch prediction scores; the output names each row's file beside its line."""

from __future__ import annotations

import csv
import os
from typing import List, Tuple

from schemas import IMAGE_SUFFIXES, FeatureSet, Role


def image_input(features: FeatureSet) -> str:
    """The name of the schema's image feature when it is the model's only input; a ValueError
    naming the other inputs otherwise (they would need a CSV of rows)."""
    images = [f.name for f in features.inputs if f.role is Role.IMAGE]
    others = [f.name for f in features.inputs if f.role is not Role.IMAGE]
    if len(images) != 1 or others:
        raise ValueError(f"a folder of images can be scored when the model's only input is one "
                         f"image; this schema's inputs are {images + others}: pass a --csv of "
                         "rows")
    return images[0]


def list_images(folder: str) -> Tuple[List[str], List[str]]:
    """(PNG/JPEG files, other files) under `folder`, as sorted paths relative to it with `/`.
    A name with a line break, or not UTF-8 (Python holds its bytes as surrogates), counts as
    another file: it could not be one line of the UTF-8 CSV."""
    images, others = [], []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), folder).replace(os.sep, "/")
            is_image = name.lower().endswith(IMAGE_SUFFIXES) and _fits_a_csv_line(relative)
            (images if is_image else others).append(relative)
    return sorted(images), sorted(others)


def _fits_a_csv_line(relative: str) -> bool:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(c in relative for c in "\r\n")


def not_scored_note(others: List[str]) -> str:
    """The console line naming the files `list_images` left out, the first one quoted with
    escapes when it holds a line break or undecodable bytes (printing those as they are
    broke the line or failed)."""
    first = others[0] if others[0].isprintable() else repr(others[0])
    image_names = any(name.lower().endswith(IMAGE_SUFFIXES) for name in others)
    what = ("not PNG/JPEG images, or images whose names are not UTF-8 text on one line"
            if image_names else "not PNG/JPEG images")
    return f"Not scoring {len(others)} file(s) that are {what} (first: {first})"


def write_listing(paths: List[str], column: str, csv_path: str) -> None:
    """The CSV of one `column` whose rows are `paths`, in order: row i is on line i + 2."""
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([column])
        writer.writerows([path] for path in paths)
