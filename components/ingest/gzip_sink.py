"""Beam's TFRecord sink, gzipped by ISA-L: the ingestion component's writer of examples.

Beam's own gzip (`CompressedFile`) deflates with zlib at its default level. The examples are
mostly image files that are compressed already, so zlib's search for repeated strings finds
almost nothing and costs a third of the component's CPU on photo-size images (0.64 ms of about
2.1 ms per image here). Intel's ISA-L (the `isal` package) writes the same format, a gzip stream
any reader takes (TensorFlow's, Beam's, `gzip`), 12 times faster on those records for 0.6% more
bytes; on small tabular records 5.6 times faster for about 26% more (benchmarks/RESULTS.md).

Importing this module also gives Beam's TFRecord writer a hardware CRC-32C
(`use_hardware_crc32c`): without python-snappy's old C extension Beam falls back to crcmod's
table-driven one, 60 times slower on image-size records (about 190 us per 100 KB here; 3% of the
component's CPU on photo-size images, taken while a worker thread holds the GIL).
"""

from __future__ import annotations

import google_crc32c
from apache_beam import coders
from apache_beam.io import filesystem, tfrecordio
from isal import isal_zlib

GZIP_WBITS = 16 + isal_zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream
LEVEL = isal_zlib.ISAL_DEFAULT_COMPRESSION


def use_hardware_crc32c() -> None:
    """Makes Beam's TFRecord writer checksum with google-crc32c (same values, SSE 4.2 or ARMv8
    instructions). Beam computes the CRC through `_default_crc32c_fn`, which keeps the
    implementation it picked in its `fn` attribute (its snappy-or-crcmod choice); this fills that
    choice in first. Called on import, so every process that writes with `GzipTFRecordSink`
    (Beam's workers import this module to unpickle it) checksums with it."""
    tfrecordio._default_crc32c_fn.fn = google_crc32c.value  # pylint: disable=protected-access


use_hardware_crc32c()


class GzipWriter:
    """A writable file object that gzips what it is given into `raw` (a Beam file handle) and
    closes `raw` when closed."""

    def __init__(self, raw, level: int = LEVEL):
        self._raw = raw
        self._compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, GZIP_WBITS)

    def write(self, data: bytes) -> None:
        compressed = self._compressor.compress(data)
        if compressed:
            self._raw.write(compressed)

    def close(self) -> None:
        self._raw.write(self._compressor.flush())
        self._raw.close()


class GzipTFRecordSink(tfrecordio._TFRecordSink):  # pylint: disable=protected-access
    """`beam.io.WriteToTFRecord`'s sink (records, checksums, shards, file names), with each
    file gzipped by `GzipWriter` rather than by Beam's zlib."""

    def __init__(self, file_path_prefix: str, file_name_suffix: str = ".gz"):
        super().__init__(file_path_prefix, coders.BytesCoder(), file_name_suffix,
                         num_shards=0, shard_name_template=None,
                         compression_type=filesystem.CompressionTypes.UNCOMPRESSED)

    def open(self, temp_path):
        return GzipWriter(super().open(temp_path))
