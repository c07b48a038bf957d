"""Ingestion: each bad-input case is quarantined with its reason, good rows become examples."""

import csv
import json
import os

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from PIL import Image

import schemas
from components.ingest import beam_transforms, csv_files, executor, rows
from components.ingest.rows import Reason


@pytest.fixture()
def settings(digits_features):
    return rows.IngestSettings(features=digits_features, max_image_pixels=64 * 64,
                               max_quarantine_fraction=0.01)


@pytest.fixture()
def data_root(tmp_path):
    """A data root with good and bad image files, and a file outside it."""
    root = tmp_path / "root"
    (root / "img").mkdir(parents=True)
    Image.new("L", (10, 12), color=200).save(root / "img" / "good.png")
    Image.new("RGB", (16, 16), color=(10, 20, 30)).save(root / "img" / "good.jpg")
    Image.new("L", (100, 100)).save(root / "img" / "huge.png")
    (root / "img" / "truncated.png").write_bytes((root / "img" / "good.png").read_bytes()[:40])
    (root / "img" / "text.png").write_text("not an image")
    Image.new("L", (4, 4)).save(root / "img" / "bitmap.bmp")
    Image.new("L", (4, 4)).save(tmp_path / "outside.png")
    os.symlink(tmp_path / "outside.png", root / "img" / "link.png")
    (tmp_path / "outside_dir").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "outside_dir" / "x.png")
    os.symlink(tmp_path / "outside_dir", root / "linked_dir")
    os.symlink(root / "img" / "good.png", root / "img" / "inside_link.png")
    return root


def row(image="img/good.png", z="0.5", pen="a", y="1.0"):
    return {"image": image, "z": z, "pen": pen, "y": y}


BAD_ROWS = [
    (row(image="img/absent.png"), Reason.IMAGE_MISSING, "image"),
    (row(image="img/truncated.png"), Reason.IMAGE_UNREADABLE, "image"),
    (row(image="img/text.png"), Reason.IMAGE_UNREADABLE, "image"),
    (row(image="img/bitmap.bmp"), Reason.IMAGE_UNREADABLE, "image"),
    (row(image="img/huge.png"), Reason.IMAGE_TOO_LARGE, "image"),
    (row(image="../outside.png"), Reason.PATH_ESCAPES_ROOT, "image"),
    (row(image="img/../../outside.png"), Reason.PATH_ESCAPES_ROOT, "image"),
    (row(image="/etc/passwd"), Reason.PATH_ESCAPES_ROOT, "image"),
    (row(image="img/link.png"), Reason.PATH_ESCAPES_ROOT, "image"),
    (row(image="linked_dir/x.png"), Reason.PATH_ESCAPES_ROOT, "image"),
    (row(image="img"), Reason.IMAGE_UNREADABLE, "image"),
    (row(image=""), Reason.MISSING_VALUE, "image"),
    (row(z="abc"), Reason.NOT_NUMERIC, "z"),
    (row(z="nan"), Reason.NOT_FINITE, "z"),
    (row(z="-inf"), Reason.NOT_FINITE, "z"),
    (row(z=""), Reason.MISSING_VALUE, "z"),
    (row(pen=" "), Reason.MISSING_VALUE, "pen"),
    (row(y=""), Reason.MISSING_VALUE, "y"),
]


@pytest.mark.parametrize("bad_row, reason, column", BAD_ROWS,
                         ids=[f"{r.name}-{c}-{i}" for i, (_, r, c) in enumerate(BAD_ROWS)])
def test_bad_rows_are_rejected_with_reason(bad_row, reason, column, settings, data_root):
    with pytest.raises(rows.RowRejected) as raised:
        rows.row_to_example(bad_row, settings, str(data_root))
    assert (raised.value.reason, raised.value.column) == (reason, column)


def test_symlink_inside_the_data_root_is_followed(settings, data_root):
    example = rows.row_to_example(row(image="img/inside_link.png"), settings, str(data_root))
    assert (example.features.feature["image"].bytes_list.value[0]
            == (data_root / "img" / "good.png").read_bytes())


def test_good_row_keeps_encoded_image_bytes(settings, data_root):
    example = rows.row_to_example(row(image="img/good.jpg", z="-1.5", pen="c", y="3"),
                                  settings, str(data_root))
    features = example.features.feature
    assert features["image"].bytes_list.value[0] == (data_root / "img" / "good.jpg").read_bytes()
    assert features["z"].float_list.value[:] == [-1.5]
    assert features["pen"].bytes_list.value[:] == [b"c"]
    assert features["y"].float_list.value[:] == [3.0]


def write_csv(path, records, header=("image", "z", "pen", "y")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(records)
    return str(path)


@pytest.mark.parametrize("rows_per_chunk", [beam_transforms.ROWS_PER_CHUNK, 5])
def test_pipeline_routes_every_row_and_counts(settings, data_root, tmp_path, monkeypatch,
                                              rows_per_chunk):
    """A CSV mixing good rows with every bad case: counts add up, reasons are recorded, in one
    chunk of rows or across several."""
    monkeypatch.setattr(beam_transforms, "ROWS_PER_CHUNK", rows_per_chunk)
    good = [row(), row(image="img/good.jpg", pen="b")]
    csv_path = write_csv(data_root / "data.csv", good + [r for r, _, _ in BAD_ROWS])
    report_dir = str(tmp_path / "report")
    with BeamTestPipeline() as pipeline:
        outputs = (pipeline | beam.Create([csv_path])
                   | beam_transforms.IngestCsvFiles(settings, str(data_root), serialize=False))
        images = outputs[beam_transforms.EXAMPLES_TAG] | beam.Map(
            lambda e: e.features.feature["pen"].bytes_list.value[0])
        assert_that(images, equal_to([b"a", b"b"]), label="examples")
        reasons = outputs[beam_transforms.QUARANTINE_TAG] | beam.Map(lambda q: (q["line"], q["reason"]))
        assert_that(reasons, equal_to([(i + 4, r.value) for i, (_, r, _) in enumerate(BAD_ROWS)]),
                    label="quarantine")
        _ = ({tag: outputs[tag] for tag in (beam_transforms.QUARANTINE_TAG, beam_transforms.COUNTS_TAG)}
             | beam_transforms.WriteIngestReport(report_dir, "part"))

    counts = executor.read_counts(report_dir)
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
    first = beam_transforms.shuffle_position(("/data/a.csv", 7, {"x": "1"}, None), "/data")
    assert first == beam_transforms.shuffle_position(("/data/a.csv", 7, {"x": "2"}, None), "/data")
    assert first == beam_transforms.shuffle_position(("/moved/a.csv", 7, {"x": "1"}, None), "/moved")
    assert first != beam_transforms.shuffle_position(("/data/a.csv", 8, {"x": "1"}, None), "/data")
    assert first != beam_transforms.shuffle_position(("/data/b.csv", 7, {"x": "1"}, None), "/data")
    assert 0 <= first[0] < beam_transforms.SHUFFLE_GROUPS


def test_quoted_multiline_fields_keep_line_numbers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('image,z,pen,y\n"a, ""quoted""\nvalue",1,a,2\nb.png,3,b,4\n')
    assert list(csv_files.iter_csv_rows(str(path))) == [
        (3, {"image": 'a, "quoted"\nvalue', "z": "1", "pen": "a", "y": "2"}),
        (4, {"image": "b.png", "z": "3", "pen": "b", "y": "4"})]


def test_wrong_columns_fail_fast_naming_file_and_columns(tmp_path, digits_features):
    path = write_csv(tmp_path / "bad.csv", [], header=("image", "zz", "pen", "y"))
    with pytest.raises(rows.ColumnsError) as raised:
        csv_files.check_columns(path, csv_files.read_header(path), digits_features)
    message = str(raised.value)
    assert path in message and "missing ['z']" in message and "unexpected ['zz']" in message


def test_quarantine_share_limit():
    executor.check_quarantine_share(
        {"rows_read": 100, "rows_ingested": 99, "rows_quarantined": 1}, 0.01, "r")
    with pytest.raises(executor.QuarantineLimitError, match=r"2 of 100 rows \(2.0%\).*limit of 1.0%"):
        executor.check_quarantine_share(
            {"rows_read": 100, "rows_ingested": 98, "rows_quarantined": 2}, 0.01, "r")
    with pytest.raises(executor.QuarantineLimitError, match="empty"):
        executor.check_quarantine_share(
            {"rows_read": 0, "rows_ingested": 0, "rows_quarantined": 0}, 0.01, "r")


def test_settings_round_trip_through_custom_config(settings):
    from google.protobuf import json_format

    config = executor.settings_to_custom_config(settings)
    exec_properties = {"custom_config": json_format.MessageToJson(config)}
    assert executor.settings_from_exec_properties(exec_properties) == settings


def test_list_csv_files_reports_empty_pattern(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\*\.csv matches no file"):
        executor.list_csv_files(str(tmp_path), "*.csv")


def test_optional_numeric_value_may_be_missing(data_root):
    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    z = next(f for f in schema.feature if f.name == "z")
    z.ClearField("shape")
    z.presence.min_fraction = 0.0
    settings = rows.IngestSettings(features=schemas.feature_set_from_schema(schema),
                                   max_image_pixels=10**6, max_quarantine_fraction=0.01)
    example = rows.row_to_example(row(z=""), settings, str(data_root))
    assert "z" not in example.features.feature
    with pytest.raises(rows.RowRejected, match="non-numeric"):
        rows.row_to_example(row(z="x"), settings, str(data_root))
