"""The one rule for the image path in a CSV cell, applied by ingestion, `predict` and `init`.

A path names a file under the data root: relative to it, with '/' between folders (a CSV is
read the same way on every runner, and remote data roots such as gs:// use '/'), or absolute
and under it (read as the path relative to it, so `/data/drop/img/0.png` under the data root
`/data/drop` is `img/0.png`). A path that leaves the data root, by `..`, by being absolute
elsewhere or through a symbolic link to a file or folder outside it, is refused: a CSV names
images, never other files of the machine (the hostile-input tests check that none is opened).
Light: `init` imports it without Beam or TensorFlow.
"""

from __future__ import annotations

import os
import posixpath
from typing import Dict, Optional

from components.ingest.rejections import Reason, RowRejected

SCHEME = "://"


def is_remote(path: str) -> bool:
    return SCHEME in path


def _normalized(path: str) -> str:
    """`path` without `.`, `..` or doubled '/' (a remote path keeps its `scheme://`)."""
    scheme, separator, rest = path.rpartition(SCHEME)
    return scheme + separator + posixpath.normpath(rest)


def _roots(data_root: str) -> list:
    """The data root as written (a local one made absolute) and, local, resolved (symlink-free)."""
    if is_remote(data_root):
        return [_normalized(data_root)]
    return [os.path.abspath(data_root), os.path.realpath(data_root)]


def relative_image_path(data_root: str, cell: str, column: str) -> str:
    """The normalized path relative to the data root that an image cell names (the rule in the
    module docstring, symbolic links aside: `resolve_image_path` checks those)."""
    if not cell:
        raise RowRejected(Reason.MISSING_VALUE, column)
    if "\\" in cell:
        slashed = cell.replace("\\", "/")
        raise RowRejected(Reason.PATH_BACKSLASH, column, f"{cell}: paths use '/', as in {slashed}")
    if is_remote(cell) or cell.startswith("/"):
        path = _normalized(cell)
        for root in _roots(data_root):
            if path.startswith(root.rstrip("/") + "/"):
                return path[len(root.rstrip("/")) + 1:]
        raise RowRejected(Reason.PATH_ESCAPES_ROOT, column,
                          f"{cell} is not under {data_root}: paths are relative to the data "
                          "root, or absolute under it")
    normalized = posixpath.normpath(cell)
    if normalized == ".." or normalized.startswith("../"):
        raise RowRejected(Reason.PATH_ESCAPES_ROOT, column, f"{cell}: '..' leads out of it")
    return normalized


def resolve_image_path(data_root: str, cell: str, column: str,
                       real_directories: Optional[Dict[str, str]] = None) -> str:
    """The file an image cell names under the data root; a RowRejected for a path the rule
    refuses.

    `real_directories` caches the resolved (symlink-free) form of each directory seen, so a
    converter resolves each folder once rather than each path component of every row.
    """
    candidate = posixpath.join(data_root.rstrip("/"), relative_image_path(data_root, cell,
                                                                          column))
    if is_remote(data_root):
        return candidate
    cache = {} if real_directories is None else real_directories

    def real_directory(path: str) -> str:
        if path not in cache:
            cache[path] = os.path.realpath(path)
        return cache[path]

    real_root = real_directory(data_root)
    parent, name = posixpath.split(candidate)
    real_path = (os.path.realpath(candidate) if os.path.islink(candidate)
                 else os.path.join(real_directory(parent), name))
    if os.path.commonpath([real_root, real_path]) != real_root:
        raise RowRejected(Reason.PATH_ESCAPES_ROOT, column,
                          f"{cell}: a symbolic link leads it to {real_path}, outside "
                          f"{real_root}; copy the files under the data root, or make the "
                          "folder that holds them the data root")
    return candidate
