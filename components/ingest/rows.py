"""One row -> one tf.Example or a rejection with its reason: the checks every raw value passes.

Plain functions, tested directly; `csv_files.py` reads the rows, `beam_transforms.py` runs these
functions over them in Beam, and the executor wires that into TFX's ExampleGen. A row is never
dropped: it becomes an example or a quarantine record naming its source file, line and reason.
"""

from __future__ import annotations

import dataclasses
import io
import math
from typing import Any, Dict, Optional

from components.errors import DataError, tf_error_text
from components.ingest import number_cells
from components.ingest.image_paths import is_remote, resolve_image_path
from components.ingest.rejections import Reason, RowRejected
from schemas import DType, Feature, FeatureSet, FeatureSettings, Role

LAYOUT_CSV = "csv"
LAYOUT_CLASS_FOLDERS = "class_folders"
LAYOUTS = (LAYOUT_CSV, LAYOUT_CLASS_FOLDERS)
NUL = b"\0"
MAX_LINE_BYTES = 1 << 20  # default bound on one CSV line, read with a bounded buffer


class ColumnsError(DataError, ValueError):
    """A CSV file whose header does not match the schema."""


@dataclasses.dataclass(frozen=True)
class IngestSettings(FeatureSettings):
    """What the ingestion executor needs, passed through the component's custom_config."""

    features: FeatureSet
    max_image_pixels: int
    max_quarantine_fraction: float
    image_channels: int  # the config's: the channels Transform decodes images to
    layout: str = LAYOUT_CSV
    max_line_bytes: int = MAX_LINE_BYTES
    code_fingerprint: str = ""

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "IngestSettings":
        # custom_config travels as a protobuf Struct, whose numbers are all floats. A spec
        # compiled before image_channels existed decoded any image; 3 channels refuse none.
        return super().from_dict(dict(
            data, max_image_pixels=int(data["max_image_pixels"]),
            image_channels=int(data.get("image_channels", 3)),
            max_line_bytes=int(data.get("max_line_bytes", MAX_LINE_BYTES))))


def open_binary(path: str):
    """Opens a local file, or a remote one (gs://, file://, ...) through Beam's filesystems
    (imported only then: `init` reads local CSVs by ingestion's rules without Beam)."""
    if not is_remote(path):
        return open(path, "rb")
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def _read_file(path: str, column: str) -> bytes:
    """The bytes of an image file; a missing or unreadable file rejects the row."""
    try:
        if is_remote(path):
            from apache_beam.io.filesystems import FileSystems

            if not FileSystems.exists(path):
                raise FileNotFoundError(path)
        with open_binary(path) as handle:
            return handle.read()
    except FileNotFoundError:
        raise RowRejected(Reason.IMAGE_MISSING, column, path) from None
    except OSError as err:  # a directory, no permission, an I/O error
        raise RowRejected(Reason.IMAGE_UNREADABLE, column, f"{path}: {err}") from None


def read_image(path: str, column: str, max_pixels: int, channels: int) -> bytes:
    """The encoded bytes of a PNG or JPEG file, after checking its size and that it decodes to
    `channels` channels.

    PIL reads the header (format, size and color mode: nothing is decoded for a file over the
    limit) and, for a PNG, checks its structure and every chunk's checksum (`verify`). The
    pixels are then decoded by TensorFlow's decoders to `channels`, as Transform decodes them,
    so a file passes only if Transform can decode it (the check costs about what PIL's decode
    did: 2-3 ms per photo-size image here). A CMYK JPEG, which libjpeg cannot convert to one
    channel, is refused from its header (libjpeg would print its error on stderr).
    """
    from PIL import Image

    data = _read_file(path, column)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise RowRejected(Reason.IMAGE_UNREADABLE, column,
                                  f"{path}: {image.format} is not PNG or JPEG")
            width, height = image.size
            if width * height > max_pixels:
                raise RowRejected(Reason.IMAGE_TOO_LARGE, column,
                                  f"{path}: {width}x{height} px > {max_pixels}")
            image_format = image.format
            if image_format == "JPEG" and image.mode == "CMYK" and channels == 1:
                raise RowRejected(Reason.IMAGE_UNREADABLE, column,
                                  f"{path}: a CMYK JPEG does not decode to 1 channel "
                                  "(image_channels: 1): save it as grayscale or RGB, or set "
                                  "image_channels: 3")
            if image_format == "PNG":
                image.verify()  # every chunk's checksum, ancillary chunks' too
    except RowRejected:
        raise
    except Image.DecompressionBombError as err:  # PIL's own, far larger limit
        raise RowRejected(Reason.IMAGE_TOO_LARGE, column, f"{path}: {err}") from None
    except Image.UnidentifiedImageError:  # PIL's message names an in-memory object's address
        raise RowRejected(Reason.IMAGE_UNREADABLE, column,
                          f"{path}: not an image file PIL can identify") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise RowRejected(Reason.IMAGE_UNREADABLE, column, f"{path}: {err}") from None
    _check_decodes(data, image_format, channels, path, column)
    return data


def _check_decodes(data: bytes, image_format: str, channels: int, path: str,
                   column: str) -> None:
    """Decodes the pixels with TensorFlow to `channels`; an error rejects the row with
    TensorFlow's reason.

    A JPEG decodes at 1/8 scale: every coefficient is still entropy-decoded (where truncation
    and corruption show), the inverse DCT runs on an eighth of the pixels.
    """
    import tensorflow as tf

    try:
        if image_format == "JPEG":
            tf.io.decode_jpeg(data, channels=channels, ratio=8)
        else:
            tf.io.decode_png(data, channels=channels)
    except tf.errors.OpError as err:
        raise RowRejected(Reason.IMAGE_UNREADABLE, column, f"{path}: {tf_error_text(err)}"
                          ) from None


def parse_number(cell: str, column: str, dtype: DType) -> float:
    """A finite number from a non-empty CSV cell (plain ASCII syntax: `number_cells`) that its
    feature holds: a 32-bit float, or for an INT column a 64-bit integer, written as a decimal
    too ("127.0", "1.5e2": pandas writes integers with missing values that way)."""
    if cell is None or not cell.strip():
        raise RowRejected(Reason.MISSING_VALUE, column)
    shown = repr(cell[:40])
    if dtype is DType.INT and number_cells.is_integer(cell):
        number = number_cells.parse_integer(cell)  # exact, beyond float precision
    else:
        try:
            value = number_cells.parse_float(cell)
        except ValueError:
            raise RowRejected(Reason.NOT_NUMERIC, column, shown) from None
        if not math.isfinite(value):
            raise RowRejected(Reason.NOT_FINITE, column, shown)
        if dtype is not DType.INT:
            if not number_cells.fits_float32(value):
                raise RowRejected(Reason.NOT_FINITE, column,
                                  f"{shown}: infinite as a 32-bit float")
            return value
        if not value.is_integer():
            raise RowRejected(Reason.NOT_INTEGER, column, shown)
        number = int(value)
    if number is None or not number_cells.fits_int64(number):
        raise RowRejected(Reason.INT_OUT_OF_RANGE, column, shown)
    return number


def row_to_example(row: Dict[str, str], settings: IngestSettings, data_root: str,
                   real_directories: Optional[Dict[str, str]] = None, for_serving: bool = False):
    """Builds the tf.Example of one CSV row, or raises RowRejected naming every bad column
    (`real_directories`: see `resolve_image_path`).

    `for_serving`, a row to predict: the label is not read, nor a key column its file lacks
    (keys are optional for serving: the serving signature reads none, `predict` copies them from
    the row). A key cell the file holds passes the checks of training, so a required key left
    empty quarantines the row (its prediction could not be joined back); a valid key goes in,
    for models exported when the serving signature still parsed keys.
    """
    import tensorflow as tf

    feature, problems = {}, []
    for spec in settings.features.features:
        if for_serving and (spec.role is Role.LABEL
                            or (spec.role is Role.KEY and spec.name not in row)):
            continue
        try:
            value = _feature(spec, row.get(spec.name), settings, data_root, real_directories)
        except RowRejected as rejected:
            problems.append(rejected)
            continue
        if value is not None:
            feature[spec.name] = value
    if problems:
        first = problems[0]
        raise RowRejected(first.reason, first.column, first.detail,
                          also=[str(problem) for problem in problems[1:]])
    return tf.train.Example(features=tf.train.Features(feature=feature))


def _feature(spec: Feature, cell: Optional[str], settings: IngestSettings, data_root: str,
             real_directories: Optional[Dict[str, str]]):
    """One column's tf.train.Feature; None for an optional value left out (Transform imputes it
    or gives it its own id)."""
    import tensorflow as tf

    if spec.role is Role.IMAGE:
        path = resolve_image_path(data_root, (cell or "").strip(), spec.name, real_directories)
        value = read_image(path, spec.name, settings.max_image_pixels, settings.image_channels)
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
    if not spec.required and (cell is None or not cell.strip()):
        return None
    if spec.dtype is DType.BYTES:
        if cell is None or not cell.strip():
            raise RowRejected(Reason.MISSING_VALUE, spec.name)
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[cell.strip().encode("utf-8")]))
    number = parse_number(cell, spec.name, spec.dtype)
    if spec.dtype is DType.INT:
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[number]))
    return tf.train.Feature(float_list=tf.train.FloatList(value=[number]))


def quarantine_record(source: str, line: int, row: Dict[str, str],
                      rejection: RowRejected) -> Dict[str, Any]:
    """The JSON-able record kept for a rejected row."""
    return {"source": source, "line": line, "reason": rejection.reason.value,
            "column": rejection.column, "detail": rejection.detail,
            "also": list(rejection.also), "row": row}
