"""The ingestion PTransforms: every row of a CSV becomes an example or a quarantine record with
its line and reason, counts add up, and rows are shuffled deterministically before conversion."""

import json
import os

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from components.ingest import beam_transforms, ingest_report
from components.ingest.rows import Reason


@pytest.mark.parametrize("rows_per_chunk", [beam_transforms.ROWS_PER_CHUNK, 5])
def test_pipeline_routes_every_row_and_counts(ingest_settings, image_data_root, tmp_path,
                                              monkeypatch, rows_per_chunk, bad_rows, make_row,
                                              write_csv):
    """A CSV mixing good rows with every bad case: counts add up, reasons are recorded, in one
    chunk of rows or across several."""
    monkeypatch.setattr(beam_transforms, "ROWS_PER_CHUNK", rows_per_chunk)
    good = [make_row(), make_row(image="img/good.jpg", pen="b")]
    csv_path = write_csv(image_data_root / "data.csv", good + [r for r, _, _ in bad_rows])
    report_dir = str(tmp_path / "report")
    with BeamTestPipeline() as pipeline:
        outputs = (pipeline | beam.Create([csv_path])
                   | beam_transforms.IngestCsvFiles(ingest_settings, str(image_data_root),
                                                    serialize=False))
        pens = outputs[beam_transforms.EXAMPLES_TAG] | beam.Map(
            lambda e: e.features.feature["pen"].bytes_list.value[0])
        assert_that(pens, equal_to([b"a", b"b"]), label="examples")
        reasons = outputs[beam_transforms.QUARANTINE_TAG] | beam.Map(
            lambda q: (q["line"], q["reason"]))
        assert_that(reasons, equal_to([(i + 4, r.value) for i, (_, r, _) in enumerate(bad_rows)]),
                    label="quarantine")
        _ = ({tag: outputs[tag]
              for tag in (beam_transforms.QUARANTINE_TAG, beam_transforms.COUNTS_TAG)}
             | beam_transforms.WriteIngestReport(report_dir, "part"))

    counts = ingest_report.read_counts(report_dir)
    assert counts == {"rows_read": 20, "rows_ingested": 2, "rows_quarantined": 18}
    with open(os.path.join(report_dir, "part-quarantine-00000-of-00001.jsonl")) as handle:
        records = [json.loads(line) for line in handle]
    missing = next(r for r in records if r["reason"] == Reason.IMAGE_MISSING.value)
    assert missing["source"] == csv_path
    assert missing["row"]["image"] == "img/absent.png"


def test_shuffle_rows_mixes_sorted_input_and_loses_nothing():
    """10,000 rows sorted by class (as a folder walk writes them) come out in chunks that each
    hold both classes, every row exactly once."""
    located = [("a.csv", line, {"label": "cat" if line < 5000 else "dog"}, None)
               for line in range(10_000)]

    def check(chunks):
        assert all(len(chunk) <= beam_transforms.ROWS_PER_CHUNK for chunk in chunks)
        assert sorted(row[1] for chunk in chunks for row in chunk) == list(range(10_000))
        assert all({row[2]["label"] for row in chunk} == {"cat", "dog"} for chunk in chunks)

    with BeamTestPipeline() as pipeline:
        chunks = pipeline | beam.Create(located) | beam_transforms.ShuffleRows("/data")
        assert_that(chunks, check)


def test_shuffle_position_depends_on_source_within_the_data_root_and_line_only():
    position = beam_transforms.shuffle_position
    first = position(("/data/a.csv", 7, {"x": "1"}, None), "/data")
    assert first == position(("/data/a.csv", 7, {"x": "2"}, None), "/data")
    assert first == position(("/moved/a.csv", 7, {"x": "1"}, None), "/moved")
    assert first != position(("/data/a.csv", 8, {"x": "1"}, None), "/data")
    assert first != position(("/data/b.csv", 7, {"x": "1"}, None), "/data")
    assert 0 <= first[0] < beam_transforms.SHUFFLE_GROUPS


def test_a_quarantined_record_spanning_lines_names_the_line_it_starts_on(
        ingest_settings, image_data_root, make_row, write_csv):
    """A quoted cell spanning lines 2-3: the record said line 3, its last."""
    csv_path = write_csv(image_data_root / "data.csv", [
        make_row(image="img/absent.png", pen="two\nlines"), make_row(z="oops")])
    with BeamTestPipeline() as pipeline:
        outputs = (pipeline | beam.Create([csv_path])
                   | beam_transforms.IngestCsvFiles(ingest_settings, str(image_data_root),
                                                    serialize=False))
        lines = outputs[beam_transforms.QUARANTINE_TAG] | beam.Map(
            lambda q: (q["line"], q["reason"], q["row"]["pen"]))
        assert_that(lines, equal_to([(2, Reason.IMAGE_MISSING.value, "two\nlines"),
                                     (4, Reason.NOT_NUMERIC.value, "a")]))
