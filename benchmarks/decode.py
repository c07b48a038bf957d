"""Image decoding throughput of the Transform graph (decode, convert channels, resize, scale).

    .venv/bin/python -m benchmarks.decode --images 2000

Runs `components.transform.preprocessing.decode_images` as a compiled graph over batches of
encoded demo images (mixed PNG/JPEG, gray/RGB, 8-64 px) and prints images/s per output size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.common import machine
from pipeline.datasets import demo_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()

    import tensorflow as tf

    from components.transform.preprocessing import decode_images
    from pipeline.config import load_config

    root = os.path.join(tempfile.gettempdir(), f"decode-bench-{args.images}")
    demo_data.ensure(root, load_config().features(), rows=args.images)
    names = sorted(os.listdir(os.path.join(root, demo_data.IMAGES_DIR)))
    encoded = [open(os.path.join(root, demo_data.IMAGES_DIR, n), "rb").read() for n in names]
    batches = [tf.constant(encoded[i:i + args.batch])[:, None]
               for i in range(0, len(encoded), args.batch)]

    print(f"\nTransform image decoding, {len(encoded)} images, batches of {args.batch}, "
          f"{machine()}\n")
    print("| output | images/s |")
    print("|---|---:|")
    for height, width, channels in ((32, 32, 1), (64, 64, 3), (224, 224, 3)):
        decode = tf.function(lambda b, h=height, w=width, c=channels: decode_images(b, h, w, c))
        decode(batches[0])  # trace once
        started = time.perf_counter()
        for batch in batches:
            decode(batch).numpy()
        rate = len(encoded) / (time.perf_counter() - started)
        print(f"| {height}x{width}x{channels} | {rate:.0f} |")


if __name__ == "__main__":
    main()
