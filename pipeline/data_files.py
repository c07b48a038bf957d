"""The files under a local data root, as a run reads them: through symbolic links to folders
(ingestion reads through them), each real folder once, and without the pipeline's output
directory when that lies inside the data root (its files are what runs write, not what they
read). The input size that picks the Beam runner mode (`pipeline/assembly.py`) and the data
fingerprint of the up-to-date check (`pipeline/runners/up_to_date.py`) both come from here, as
do the CSV files that a run's input patterns leave out (named in the run's log).
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Iterator, List, Optional, Sequence, Tuple

# TFX's placeholders in an input pattern ({SPAN}, {VERSION}, {YYYY}, ...), each a run of digits
PLACEHOLDER = re.compile(r"\{[A-Z]+(:\d+)?\}")


def data_files(data_root: str, output_dir: Optional[str] = None
               ) -> Iterator[Tuple[str, Optional[os.stat_result]]]:
    """(path, its `os.stat`, or None for a dangling link) per file under `data_root`, in sorted
    order per folder; the folder `output_dir` names (resolved, so a relative path or a link to
    it counts too) and everything under it are left out."""
    seen = {os.path.realpath(output_dir)} if output_dir else set()
    for folder, folders, names in os.walk(data_root, followlinks=True):
        seen.add(os.path.realpath(folder))
        kept = []
        for name in sorted(folders):
            real = os.path.realpath(os.path.join(folder, name))
            if real not in seen:
                seen.add(real)
                kept.append(name)
        folders[:] = kept
        for name in sorted(names):
            path = os.path.join(folder, name)
            try:
                stat: Optional[os.stat_result] = os.stat(path)
            except OSError:  # vanished, or a dangling link: ingestion reports it
                stat = None
            yield path, stat


def undecodable_file_name(data_root: str, patterns: Sequence[str],
                          output_dir: Optional[str] = None) -> Optional[str]:
    """The first file under `data_root` that an input pattern matches and whose name is not
    UTF-8 (path relative to it, its bytes escaped as `\\xe9`), or None: TensorFlow's glob,
    through which TFX finds a run's input files, fails on such a match with a
    UnicodeDecodeError (names it does not match it skips)."""
    wanted = [PLACEHOLDER.sub("*", pattern).split("/") for pattern in patterns]
    for path, _ in data_files(data_root, output_dir):
        parts = os.path.relpath(path, data_root).split(os.sep)
        try:
            "/".join(parts).encode("utf-8")
        except UnicodeEncodeError:
            if any(len(parts) == len(segments) and all(map(fnmatch.fnmatchcase, parts, segments))
                   for segments in wanted):
                return os.fsencode("/".join(parts)).decode("utf-8", "backslashreplace")
    return None


def unmatched_csv_files(data_root: str, patterns: Sequence[str],
                        output_dir: Optional[str] = None) -> List[str]:
    """The CSV files under a local data root (paths relative to it) that none of the input
    patterns match, a placeholder such as {SPAN} matching any span: files a run does not read.
    Matched by `tf.io.gfile.glob`, the listing ingestion reads its files with."""
    import tensorflow as tf

    matched = {os.path.normpath(path) for pattern in patterns
               for path in tf.io.gfile.glob(os.path.join(data_root, PLACEHOLDER.sub("*", pattern)))}
    return ["/".join(os.path.relpath(path, data_root).split(os.sep))
            for path, _ in data_files(data_root, output_dir)
            if path.lower().endswith(".csv") and os.path.normpath(path) not in matched]
