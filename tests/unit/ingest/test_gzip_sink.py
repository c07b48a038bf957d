"""The ISA-L gzip TFRecord sink: standard gzip files of TFRecords that TensorFlow's, Beam's and
Python's readers take, sharded and named as Beam's own TFRecord sink names them."""

import glob
import gzip
import io
import os

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from components.ingest import gzip_sink

RECORDS = [b"", b"x", os.urandom(100), os.urandom(70_000), b"tabular " * 300]


def _write(records, prefix: str, num_workers: int = 1):
    options = [f"--direct_num_workers={num_workers}", "--direct_running_mode=in_memory"]
    with BeamTestPipeline(argv=options) as pipeline:
        _ = (pipeline | beam.Create(records)
             | beam.io.Write(gzip_sink.GzipTFRecordSink(prefix)))
    return sorted(glob.glob(prefix + "*"))


@pytest.mark.parametrize("num_workers", [1, 2])
def test_tensorflow_reads_back_every_record(tmp_path, num_workers):
    import tensorflow as tf

    records = RECORDS * 50
    files = _write(records, str(tmp_path / "data_tfrecord"), num_workers)
    assert files and all(f.endswith(".gz") for f in files)
    assert all(os.path.basename(f).startswith("data_tfrecord-") for f in files)  # Beam's shards
    read = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    assert sorted(read) == sorted(records)


def test_files_are_gzip_that_beam_and_python_read(tmp_path):
    files = _write(RECORDS, str(tmp_path / "out"))
    for path in files:
        with open(path, "rb") as handle:
            assert handle.read(2) == b"\x1f\x8b"  # gzip's magic number
        gzip.decompress(open(path, "rb").read())  # header, deflate stream and CRC-32 trailer
    with BeamTestPipeline() as pipeline:
        read = pipeline | beam.io.ReadFromTFRecord(str(tmp_path / "out*"))
        assert_that(read, equal_to(RECORDS))


def test_no_records_make_one_empty_valid_file(tmp_path):
    import tensorflow as tf

    [path] = _write([], str(tmp_path / "empty"))
    assert gzip.decompress(open(path, "rb").read()) == b""
    assert list(tf.data.TFRecordDataset([path], compression_type="GZIP")) == []


def test_writer_gzips_what_it_is_given_and_closes_the_file():
    class Raw(io.BytesIO):
        def close(self):
            self.kept = self.getvalue()
            super().close()

    raw = Raw()
    writer = gzip_sink.GzipWriter(raw)
    for part in (b"abc", b"", b"def" * 1000):
        writer.write(part)
    writer.close()
    assert raw.closed
    assert gzip.decompress(raw.kept) == b"abc" + b"def" * 1000


def test_importing_the_sink_checksums_with_google_crc32c():
    """Beam's TFRecord writer gets google-crc32c, whose values are crcmod's (Beam's fallback);
    TensorFlow's reader verifies them (test_tensorflow_reads_back_every_record)."""
    import crcmod.predefined
    import google_crc32c
    from apache_beam.io import tfrecordio

    assert tfrecordio._default_crc32c_fn.fn is google_crc32c.value
    reference = crcmod.predefined.mkPredefinedCrcFun("crc-32c")
    assert [tfrecordio._default_crc32c_fn(r) for r in RECORDS] == [reference(r) for r in RECORDS]
