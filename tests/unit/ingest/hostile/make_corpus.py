"""Regenerates the hostile-input corpus in this folder: `python tests/hostile/make_corpus.py`.

The files are committed; this script documents how each was made.
"""

import io
import os
import struct
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write(name: str, data: bytes) -> None:
    with open(os.path.join(HERE, name), "wb") as handle:
        handle.write(data)


def main() -> None:
    good = io.BytesIO()
    Image.new("L", (16, 16), color=128).save(good, format="PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (16, 16), color=(1, 2, 3)).save(jpeg, format="JPEG")
    write("good.png", good.getvalue())
    write("truncated.png", good.getvalue()[:60])
    write("truncated.jpg", jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    write("corrupt.jpg", jpeg.getvalue()[:20] + bytes(range(256)) * 4)
    write("empty.png", b"")
    write("text.png", b"this is not an image\n")
    # a 100-byte PNG whose header declares 60000 x 60000 pixels (a decompression bomb)
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    write("bomb.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
          + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    write("data.csv", "\n".join([
        "image,z,pen,y",
        "good.png,0.5,a,1.0",
        "truncated.png,0.5,a,1.0",
        "truncated.jpg,0.5,a,1.0",
        "corrupt.jpg,0.5,a,1.0",
        "empty.png,0.5,a,1.0",
        "text.png,0.5,a,1.0",
        "bomb.png,0.5,a,1.0",
        "../outside.png,0.5,a,1.0",
        "/etc/passwd,0.5,a,1.0",
        "link_out.png,0.5,a,1.0",
        "good.png,0.5,=cmd|' /C calc'!A0,1.0",
        "good.png,0.5,\"__import__('os').system('touch pwned')\",1.0",
    ]).encode() + b"\ngood.png,0.5,caf\xe9,1.0\ngood.png,0.5,a\x00b,1.0\ngood.png,0.5\n")


if __name__ == "__main__":
    main()
