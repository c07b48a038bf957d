"""The demo generator: deterministic, real mixed images, and the documented label formula."""

import csv
import filecmp
import os

import numpy as np
from PIL import Image

from pipeline.datasets import demo_data


def read_rows(root):
    with open(os.path.join(root, demo_data.CSV_NAME), newline="") as handle:
        return list(csv.DictReader(handle))


def test_same_seed_same_bytes(tmp_path, digits_features):
    first, second = tmp_path / "a", tmp_path / "b"
    demo_data.generate(str(first), digits_features, rows=25)
    demo_data.generate(str(second), digits_features, rows=25)
    names = sorted(os.listdir(first / demo_data.IMAGES_DIR))
    _, mismatch, errors = filecmp.cmpfiles(first / demo_data.IMAGES_DIR,
                                           second / demo_data.IMAGES_DIR, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert filecmp.cmp(first / demo_data.CSV_NAME, second / demo_data.CSV_NAME, shallow=False)


def test_images_vary_in_size_format_and_mode(tiny_demo_data):
    sizes, formats, modes = set(), set(), set()
    for row in read_rows(tiny_demo_data):
        with Image.open(tiny_demo_data / row["image"]) as image:
            assert image.width == image.height
            assert demo_data.MIN_SIZE <= image.width <= demo_data.MAX_SIZE
            sizes.add(image.width)
            formats.add(image.format)
            modes.add(image.mode)
    assert formats == {"PNG", "JPEG"}
    assert modes == {"L", "RGB"}
    assert len(sizes) > 10


def test_label_follows_documented_formula(tiny_demo_data):
    from sklearn.datasets import load_digits

    digits = load_digits().target
    rows = read_rows(tiny_demo_data)
    residuals = [float(r["y"]) - digits[i] - demo_data.Z_WEIGHT * float(r["z"])
                 - demo_data.PEN_OFFSETS[r["pen"]] for i, r in enumerate(rows)]
    assert len(rows) == 60
    assert np.abs(residuals).max() < 5 * demo_data.NOISE_STD
    assert 0.03 < np.std(residuals) < 0.2


def test_ensure_does_not_overwrite(tmp_path, digits_features):
    assert demo_data.ensure(str(tmp_path), digits_features, rows=3) is True
    assert demo_data.ensure(str(tmp_path), digits_features, rows=5) is False
    assert len(read_rows(tmp_path)) == 3
