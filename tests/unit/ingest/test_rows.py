"""One row -> one tf.Example or a rejection: each bad-input case is rejected with its reason and
column, good rows keep their values and image bytes."""

import pytest

import schemas
from components.ingest import rows


def test_bad_rows_are_rejected_with_reason(bad_row_case, ingest_settings, image_data_root):
    bad_row, reason, column = bad_row_case
    with pytest.raises(rows.RowRejected) as raised:
        rows.row_to_example(bad_row, ingest_settings, str(image_data_root))
    assert (raised.value.reason, raised.value.column) == (reason, column)


def test_every_bad_column_of_a_row_is_named(ingest_settings, image_data_root, make_row):
    row = make_row(image="img/absent.png", z="abc", y="inf")
    with pytest.raises(rows.RowRejected) as raised:
        rows.row_to_example(row, ingest_settings, str(image_data_root))
    rejected = raised.value
    assert (rejected.reason, rejected.column) == (rows.Reason.IMAGE_MISSING, "image")
    assert rejected.also == ("z: non-numeric value ('abc')", "y: NaN or infinite value ('inf')")
    absent = image_data_root / "img" / "absent.png"
    assert str(rejected) == (f"image: missing image file ({absent}); "
                             "z: non-numeric value ('abc'); y: NaN or infinite value ('inf')")
    record = rows.quarantine_record("data.csv", 7, row, rejected)
    assert record["also"] == list(rejected.also) and record["column"] == "image"
    import pickle

    assert str(pickle.loads(pickle.dumps(rejected))) == str(rejected)  # crosses Beam stages


def _photo(image_format: str) -> bytes:
    """A 96 x 96 noise image, encoded: big enough that cutting it leaves a valid header."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.random.RandomState(0).randint(0, 256, (96, 96, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, image_format)
    return encoded.getvalue()


@pytest.mark.parametrize("image_format,name,detail", [
    ("JPEG", "cut.jpg", "cut.jpg: jpeg::Uncompress failed. Invalid JPEG data or crop window."),
    ("PNG", "cut.png", "cut.png: Truncated File Read"),
    ("JPEG", "text.jpg", "text.jpg: not an image file PIL can identify"),
])
def test_image_that_does_not_decode_is_rejected_with_a_one_line_reason(tmp_path, image_format,
                                                                       name, detail):
    """A JPEG or PNG cut at 70% (its header still reads) and text named .jpg: one line of
    reason, the decoder's or PIL's, with no object address (PIL's own message names one)."""
    encoded = _photo(image_format)
    path = tmp_path / name
    path.write_bytes(b"not an image" if name.startswith("text")
                     else encoded[:len(encoded) * 7 // 10])
    with pytest.raises(rows.RowRejected) as raised:
        rows.read_image(str(path), "image", 10**6, 1)
    assert raised.value.reason is rows.Reason.IMAGE_UNREADABLE
    assert raised.value.detail == f"{tmp_path}/{detail}"


def test_image_checks_use_transforms_decoders(monkeypatch, tmp_path):
    """The pixels are decoded by TensorFlow (what Transform decodes with) to the config's
    channels, a JPEG at 1/8 scale."""
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.io, "decode_jpeg", lambda data, channels=0, ratio=1: calls.append(
        ("jpeg", channels, ratio)))
    monkeypatch.setattr(tf.io, "decode_png", lambda data, channels=0: calls.append(
        ("png", channels, None)))
    for image_format, name in (("JPEG", "a.jpg"), ("PNG", "b.png")):
        (tmp_path / name).write_bytes(_photo(image_format))
        rows.read_image(str(tmp_path / name), "image", 10**6, 3)
    assert calls == [("jpeg", 3, 8), ("png", 3, None)]


def test_a_cmyk_jpeg_is_refused_for_one_channel_and_read_for_three(tmp_path, capfd):
    """libjpeg cannot convert CMYK to grayscale, so Transform would fail on it with 1 channel:
    refused with what to do, from its header (libjpeg prints nothing on stderr); with 3
    channels it decodes, and passes."""
    from PIL import Image

    path = tmp_path / "cmyk.jpg"
    Image.new("L", (16, 16), color=90).convert("CMYK").save(path)
    capfd.readouterr()
    with pytest.raises(rows.RowRejected) as raised:
        rows.read_image(str(path), "image", 10**6, 1)
    assert raised.value.reason is rows.Reason.IMAGE_UNREADABLE
    assert raised.value.detail == (f"{path}: a CMYK JPEG does not decode to 1 channel "
                                   "(image_channels: 1): save it as grayscale or RGB, or set "
                                   "image_channels: 3")
    assert capfd.readouterr().err == ""
    assert rows.read_image(str(path), "image", 10**6, 3) == path.read_bytes()


def test_symlink_inside_the_data_root_is_followed(ingest_settings, image_data_root, make_row):
    example = rows.row_to_example(make_row(image="img/inside_link.png"), ingest_settings,
                                  str(image_data_root))
    assert (example.features.feature["image"].bytes_list.value[0]
            == (image_data_root / "img" / "good.png").read_bytes())


def test_good_row_keeps_encoded_image_bytes(ingest_settings, image_data_root, make_row):
    example = rows.row_to_example(make_row(image="img/good.jpg", z="-1.5", pen="c", y="3"),
                                  ingest_settings, str(image_data_root))
    features = example.features.feature
    assert (features["image"].bytes_list.value[0]
            == (image_data_root / "img" / "good.jpg").read_bytes())
    assert features["z"].float_list.value[:] == [-1.5]
    assert features["pen"].bytes_list.value[:] == [b"c"]
    assert features["y"].float_list.value[:] == [3.0]


def settings_with_optional(name):
    """Ingestion settings of the digits schema with feature `name` made optional."""
    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    feature = next(f for f in schema.feature if f.name == name)
    feature.ClearField("shape")
    feature.presence.min_fraction = 0.5
    return rows.IngestSettings(features=schemas.feature_set_from_schema(schema),
                               max_image_pixels=10**6, max_quarantine_fraction=0.01,
                               image_channels=1)


def test_optional_numeric_value_may_be_missing(image_data_root, make_row):
    settings = settings_with_optional("z")
    example = rows.row_to_example(make_row(z=""), settings, str(image_data_root))
    assert "z" not in example.features.feature
    with pytest.raises(rows.RowRejected, match="non-numeric"):
        rows.row_to_example(make_row(z="x"), settings, str(image_data_root))


def test_optional_categorical_may_be_missing_and_label_may_be_left_out(image_data_root,
                                                                       make_row):
    settings = settings_with_optional("pen")
    root = str(image_data_root)
    assert "pen" not in rows.row_to_example(make_row(pen=""), settings, root).features.feature
    unlabelled = rows.row_to_example(make_row(y=""), settings, root, for_serving=True)
    assert sorted(unlabelled.features.feature) == ["image", "pen", "z"]
    with pytest.raises(rows.RowRejected, match="y: missing required value"):
        rows.row_to_example(make_row(y=""), settings, root)


def test_a_row_to_predict_gets_trainings_verdict_on_its_key_unless_the_file_has_none(
        image_data_root, make_row):
    """A row to predict whose file has the key column passes ingestion's key checks (a row
    without its key cannot be joined back to its prediction); a file without the column is
    scored (the model reads no key); a valid key goes in, for models exported when the serving
    signature parsed keys."""
    from google.protobuf import text_format

    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    text_format.Parse('name: "id" type: INT annotation { tag: "key" } shape { dim { size: 1 } }',
                      schema.feature.add())
    settings = rows.IngestSettings(features=schemas.feature_set_from_schema(schema),
                                   max_image_pixels=10**6, max_quarantine_fraction=0.01,
                                   image_channels=1)
    root = str(image_data_root)
    for cell, reason in (("", "id: missing required value"),
                         ("r7", "id: non-numeric value ('r7')")):
        for for_serving in (False, True):
            with pytest.raises(rows.RowRejected) as raised:
                rows.row_to_example({**make_row(), "id": cell}, settings, root,
                                    for_serving=for_serving)
            assert str(raised.value) == reason
    served = rows.row_to_example(make_row(), settings, root, for_serving=True)  # no id column
    assert sorted(served.features.feature) == ["image", "pen", "z"]
    served = rows.row_to_example({**make_row(), "id": " 7"}, settings, root, for_serving=True)
    assert served.features.feature["id"].int64_list.value == [7]


@pytest.mark.parametrize("cell, parsed", [("127", 127), (" 127.0", 127), ("1.5e2", 150),
                                          ("-3", -3), ("9223372036854775807", 2**63 - 1),
                                          ("-9223372036854775808", -2**63),
                                          ("+000000000000000000000042", 42),
                                          ("9.2e18", 9200000000000000000)])
def test_an_int_column_takes_whole_numbers_written_as_decimals(cell, parsed):
    assert rows.parse_number(cell, "n", schemas.DType.INT) == parsed


@pytest.mark.parametrize("cell, reason", [("101.7", "not a whole number ('101.7')"),
                                          ("abc", "non-numeric value ('abc')"),
                                          ("inf", "NaN or infinite value ('inf')")])
def test_an_int_column_names_what_is_wrong_with_a_cell(cell, reason):
    with pytest.raises(rows.RowRejected) as raised:
        rows.parse_number(cell, "n", schemas.DType.INT)
    assert str(raised.value) == f"n: {reason}"


@pytest.mark.parametrize("cell", ["9223372036854775808", "-9223372036854775809",
                                  "12345678901234500144", "1e30", "9.3e18", "7" * 5000])
def test_an_int_column_quarantines_integers_beyond_64_bits(cell):
    """They crashed the Beam job (`ValueError: Value out of range` from tf.train.Int64List)."""
    with pytest.raises(rows.RowRejected) as raised:
        rows.parse_number(cell, "n", schemas.DType.INT)
    assert str(raised.value) == f"n: value out of range for INT (64-bit integer) ({cell[:40]!r})"


@pytest.mark.parametrize("cell", ["1e39", "-3.5e38", "1e300", "3.4028236e38"])
def test_a_float_column_quarantines_numbers_infinite_as_32_bit_floats(cell):
    """Stored as float32 they were inf, and training learned nothing."""
    with pytest.raises(rows.RowRejected) as raised:
        rows.parse_number(cell, "x", schemas.DType.FLOAT)
    assert str(raised.value) == f"x: NaN or infinite value ({cell!r}: infinite as a 32-bit float)"


@pytest.mark.parametrize("cell, parsed", [("3.4028235e38", 3.4028235e38), (".5", 0.5),
                                          ("7.", 7.0), (" +1E-3 ", 0.001), ("1e-50", 1e-50)])
def test_a_float_column_takes_plain_numbers(cell, parsed):
    assert rows.parse_number(cell, "x", schemas.DType.FLOAT) == parsed


@pytest.mark.parametrize("dtype", [schemas.DType.INT, schemas.DType.FLOAT])
@pytest.mark.parametrize("cell", ["1_0", "١٢", "１２", "1,000", "0x10", "1e", ".", "- 1"])
def test_only_plain_ascii_number_syntax_is_a_number(cell, dtype):
    """Python's int() and float() read `1_0` as 10, and digits of other scripts (`١٢`)."""
    with pytest.raises(rows.RowRejected) as raised:
        rows.parse_number(cell, "n", dtype)
    assert str(raised.value) == f"n: non-numeric value ({cell!r})"


@pytest.mark.parametrize("cell", ["nan", "-inf", "Infinity", "+NaN"])
def test_inf_and_nan_spellings_stay_not_finite(cell):
    for dtype in (schemas.DType.INT, schemas.DType.FLOAT):
        with pytest.raises(rows.RowRejected) as raised:
            rows.parse_number(cell, "n", dtype)
        assert str(raised.value) == f"n: NaN or infinite value ({cell!r})"
