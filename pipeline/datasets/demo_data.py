"""Deterministic demo dataset: scikit-learn's handwritten digits as a raw CSV + image-file layout.

The layout is what a user brings: `<root>/<subdir>/data.csv` whose image column holds paths
relative to the data root `<root>`, next to the image files in `<root>/<subdir>/images/`. A
`subdir` such as `span-3` makes a new data drop for `{SPAN}` input patterns. Images are the 1,797 8x8 digits shipped with scikit-learn (no
download), upscaled to sizes from 8 to 64 px, saved as PNG or JPEG, some grayscale, some RGB.

Regression target, so that every input matters:

    y = digit + 2 * z + offset(pen) + noise,   z ~ N(0, 1),   pen in {a, b, c} -> {-1, 0, +1},
    noise ~ N(0, 0.1)

Column names come from the digits schema by role, never spelled here.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from typing import Optional, Tuple

import numpy as np

from schemas import FeatureSet, Role

PEN_OFFSETS = {"a": -1.0, "b": 0.0, "c": 1.0}
Z_WEIGHT = 2.0
NOISE_STD = 0.1
MIN_SIZE, MAX_SIZE = 8, 64
CSV_NAME = "data.csv"
IMAGES_DIR = "images"


@dataclasses.dataclass(frozen=True)
class DemoDataSummary:
    """What `generate` wrote."""

    csv_path: str
    rows: int
    label_std: float


def _single(features: FeatureSet, role: Role) -> str:
    names = [f.name for f in features.with_role(role)]
    if len(names) != 1:
        raise ValueError(f"the demo generator needs exactly one {role.value} feature, got {names}")
    return names[0]


def render_digit(pixels: np.ndarray, size: int, rgb: bool, ink: np.ndarray):
    """An 8x8 digit (values 0..16) as a PIL image of `size` px, grayscale or tinted RGB."""
    from PIL import Image

    gray = Image.fromarray(np.uint8(np.round(pixels * (255.0 / 16.0))), mode="L")
    gray = gray.resize((size, size), Image.BILINEAR)
    if not rgb:
        return gray
    level = np.asarray(gray, dtype=np.float32)[..., None] / 255.0
    return Image.fromarray(np.uint8(np.round(level * ink)), mode="RGB")


def random_digit_image(rng: np.random.Generator, pixels: np.ndarray,
                       sizes: Tuple[int, int] = (MIN_SIZE, MAX_SIZE)):
    """(PIL image, "png" or "jpg"): an 8x8 digit at a random size within `sizes`, grayscale or
    tinted RGB, drawn from `rng` (size, colour, format, ink: in that order)."""
    size = int(rng.integers(sizes[0], sizes[1] + 1))
    rgb = bool(rng.random() < 0.5)
    fmt = "png" if rng.random() < 0.5 else "jpg"
    ink = rng.uniform(128, 255, size=3)
    return render_digit(pixels, size, rgb, ink), fmt


def save_image(image, path: str, fmt: str) -> None:
    """Saves a demo image as PNG or as JPEG (quality 95)."""
    image.save(path, **({"format": "PNG"} if fmt == "png" else {"format": "JPEG", "quality": 95}))


def generate(data_root: str, features: FeatureSet, rows: Optional[int] = None,
             seed: int = 0, subdir: str = "", label_shift: float = 0.0,
             sizes: Tuple[int, int] = (MIN_SIZE, MAX_SIZE)) -> DemoDataSummary:
    """Writes the demo CSV and images; the same arguments give the same bytes.

    `rows` defaults to the 1,797 digits; more rows cycle through them again (new sizes, formats
    and `z`). `label_shift` is added to every label (a drifted data drop). `sizes` bounds the
    image side in pixels.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    total = len(digits.target) if rows is None else rows
    rng = np.random.default_rng(seed)
    out_dir = os.path.join(data_root, subdir)
    prefix = f"{subdir.strip('/')}/" if subdir else ""
    image_col = _single(features, Role.IMAGE)
    numeric_col = _single(features, Role.NUMERIC)
    category_col = _single(features, Role.CATEGORICAL)
    label_col = features.label.name

    os.makedirs(os.path.join(out_dir, IMAGES_DIR), exist_ok=True)
    labels = []
    csv_path = os.path.join(out_dir, CSV_NAME)
    partial_path = csv_path + ".partial"  # renamed at the end: a cut-off run leaves no data.csv
    with open(partial_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([image_col, numeric_col, category_col, label_col])
        for index in range(total):
            digit_index = index % len(digits.target)
            image, fmt = random_digit_image(rng, digits.images[digit_index], sizes)
            z = float(rng.normal())
            pen = str(rng.choice(sorted(PEN_OFFSETS)))
            noise = float(rng.normal(0.0, NOISE_STD))
            digit = int(digits.target[digit_index])
            y = digit + Z_WEIGHT * z + PEN_OFFSETS[pen] + noise + label_shift

            relative = f"{IMAGES_DIR}/{index:05d}.{fmt}"
            save_image(image, os.path.join(out_dir, relative), fmt)
            writer.writerow([prefix + relative, f"{z:.6f}", pen, f"{y:.6f}"])
            labels.append(y)
    os.replace(partial_path, csv_path)
    return DemoDataSummary(csv_path=csv_path, rows=total, label_std=float(np.std(labels)))


def ensure(out_dir: str, features: FeatureSet, rows: Optional[int] = None,
           sizes: Tuple[int, int] = (MIN_SIZE, MAX_SIZE)) -> bool:
    """Generates the demo data unless `out_dir` already holds it; True when it wrote files."""
    if os.path.isfile(os.path.join(out_dir, CSV_NAME)):
        return False
    generate(out_dir, features, rows=rows, sizes=sizes)
    return True
