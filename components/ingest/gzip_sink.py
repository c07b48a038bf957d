"""Beam's TFRecord sink, gzipped by ISA-L: the ingestion component's writer of examples.

Beam's own gzip (`CompressedFile`) deflates with zlib at its default level. The examples are
mostly image files that are compressed already, so zlib's search for repeated strings finds
almost nothing and costs a third of the component's CPU on photo-size images (0.64 ms of about
2.1 ms per image here). Intel's ISA-L (the `isal` package) writes the same format, a gzip stream
any reader takes (TensorFlow's, Beam's, `gzip`), 12 times faster on those records for 0.7% more
bytes; on small tabular records 3.6 times faster for about 24% more (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from apache_beam import coders
from apache_beam.io import filesystem, tfrecordio
from isal import isal_zlib

GZIP_WBITS = 16 + isal_zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream
LEVEL = isal_zlib.ISAL_DEFAULT_COMPRESSION


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
