"""Hostile and broken input (the corpus in tests/hostile/): every bad row is quarantined with a
reason, nothing crashes, no file outside the data root is opened, memory stays bounded, and no
data is ever evaluated."""

import os
import re
import shutil
import sys
import tracemalloc

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

import schemas
from components.ingest import beam_transforms, csv_files, rows
from components.ingest.rows import Reason

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")
REPO = os.path.dirname(schemas.SCHEMAS_DIR)

EXPECTED = {  # CSV line -> reason (None: ingested)
    2: None,
    3: Reason.IMAGE_UNREADABLE,    # truncated PNG
    4: Reason.IMAGE_UNREADABLE,    # truncated JPEG
    5: Reason.IMAGE_UNREADABLE,    # corrupt JPEG
    6: Reason.IMAGE_UNREADABLE,    # zero-byte file
    7: Reason.IMAGE_UNREADABLE,    # text named .png
    8: Reason.IMAGE_TOO_LARGE,     # PNG declaring 60000 x 60000 pixels
    9: Reason.PATH_ESCAPES_ROOT,   # ../outside.png
    10: Reason.PATH_ESCAPES_ROOT,  # /etc/passwd
    11: Reason.PATH_ESCAPES_ROOT,  # symlink pointing outside
    12: None,                      # formula-like category: kept verbatim, never evaluated
    13: None,                      # Python-like category: kept verbatim, never evaluated
    14: Reason.NOT_UTF8,
    15: Reason.NUL_BYTE,
    16: Reason.FIELD_COUNT,
}

_opened = []


def _audit(event, args):
    if event == "open" and _opened and isinstance(args[0], (str, bytes)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture()
def data_root(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(CORPUS, root)
    (tmp_path / "outside.png").write_bytes((root / "good.png").read_bytes())
    os.symlink(tmp_path / "outside.png", root / "link_out.png")
    return root


@pytest.fixture()
def settings(digits_features):
    return rows.IngestSettings(features=digits_features, max_image_pixels=10**6,
                               max_quarantine_fraction=1.0, image_channels=1)


def test_every_bad_row_is_quarantined_with_its_reason(data_root, settings, tmp_path):
    csv_path = str(data_root / "data.csv")
    _opened[:] = ["(recording)"]
    try:
        with BeamTestPipeline() as pipeline:
            outputs = (pipeline | beam.Create([csv_path])
                       | beam_transforms.IngestCsvFiles(settings, str(data_root), serialize=False))
            reasons = outputs[beam_transforms.QUARANTINE_TAG] | beam.Map(lambda q: (q["line"], q["reason"]))
            assert_that(reasons, equal_to([(line, reason.value) for line, reason
                                           in EXPECTED.items() if reason]), label="quarantine")
            pens = outputs[beam_transforms.EXAMPLES_TAG] | beam.Map(
                lambda e: e.features.feature["pen"].bytes_list.value[0].decode())
            assert_that(pens, equal_to(["a", "=cmd|' /C calc'!A0",
                                        "__import__('os').system('touch pwned')"]),
                        label="examples")
    finally:
        opened, _opened[:] = _opened[1:], []
    outside = [p for p in opened if p.endswith("outside.png") or p == "/etc/passwd"]
    assert outside == []
    assert not os.path.exists("pwned") and not (tmp_path / "pwned").exists()


def test_overlong_line_is_skipped_with_bounded_memory(tmp_path):
    path = tmp_path / "long.csv"
    with open(path, "wb") as handle:
        handle.write(b"image,z,pen,y\n")
        handle.write(b"a.png,1," + b"x" * (64 << 20) + b",2\n")  # a 64 MiB field
        handle.write(b"b.png,1,a,2\n")
    tracemalloc.start()
    records = list(csv_files.iter_csv_records(str(path), max_line_bytes=1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(line, r.reason if r else None) for line, _, r in records] == [
        (2, Reason.LINE_TOO_LONG), (3, None)]
    assert peak < 8 << 20  # never the 64 MiB line at once


def test_unreadable_header_fails_fast(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"im\xffage,z\n")
    with pytest.raises(rows.ColumnsError, match="unreadable header line: line is not valid UTF-8"):
        csv_files.read_header(str(path))


def test_no_code_is_evaluated_or_unpickled_from_data():
    """Product code never evaluates or unpickles anything (user data included)."""
    forbidden = re.compile(r"\b(eval|exec)\(|pickle\.loads?\(|yaml\.load\(|marshal\.loads?\(")
    offenders = []
    for package in ("components", "pipeline", "schemas"):
        for directory, _, names in os.walk(os.path.join(REPO, package)):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8") as handle:
                        for number, line in enumerate(handle, 1):
                            if forbidden.search(line):
                                offenders.append(f"{path}:{number}: {line.strip()}")
    assert offenders == []
