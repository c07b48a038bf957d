"""The two demos: settings and data, generated locally from scikit-learn's digits (no download).

* `run --demo` (regression): the default settings; `demo_data.py` writes a CSV + image files whose
  target mixes the digit with a number and a category.
* `run --demo classify` (multiclass): the 1,797 digits as class folders,
  `<data_root>/<digit>/NNNNN.png|jpg` (the `digit_classes` schema, `layout: class_folders`),
  each image upscaled to a random size from 8 to 64 px, PNG or JPEG, grayscale or tinted RGB.

A demo's settings are defaults: a config file and command-line flags override them.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

import numpy as np

from pipeline.datasets import demo_data
from schemas import FeatureSet, Role

DEMOS: Dict[str, Dict[str, Any]] = {
    "regress": {},  # the config defaults are the regression demo's
    "classify": {
        "pipeline_name": "tfx-multimodal-classify",
        "dataset": "digit_classes",
        "layout": "class_folders",
        "data_root": "demo_data_classify",
        "output_dir": "outputs/demo-classify",
        "min_eval_accuracy": 0.9,
    },
}


def generate_class_folders(data_root: str, features: FeatureSet, rows: Optional[int] = None,
                           seed: int = 0) -> int:
    """Writes the digits as `<data_root>/<class>/NNNNN.png|jpg`; returns the image count.

    Folder names are the schema's class names (the digit as text); the same arguments give the
    same bytes.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    classes = features.class_names
    if not features.with_role(Role.IMAGE) or classes != tuple(str(d) for d in range(10)):
        raise ValueError("the class-folder demo needs an image feature and a label whose "
                         "classes are the digits '0'..'9' (schemas/digit_classes)")
    total = len(digits.target) if rows is None else rows
    rng = np.random.default_rng(seed)
    for name in classes:
        os.makedirs(os.path.join(data_root, name), exist_ok=True)
    for index in range(total):
        digit_index = index % len(digits.target)
        image, fmt = demo_data.random_digit_image(rng, digits.images[digit_index])
        folder = classes[int(digits.target[digit_index])]
        demo_data.save_image(image, os.path.join(data_root, folder, f"{index:05d}.{fmt}"), fmt)
    return total


def ensure(demo: str, data_root: str, features: FeatureSet, rows: Optional[int] = None) -> bool:
    """Generates a demo's data unless `data_root` already holds it; True when it wrote files."""
    if demo == "classify":
        if any(os.path.isdir(os.path.join(data_root, name)) for name in features.class_names):
            return False
        generate_class_folders(data_root, features, rows=rows)
        return True
    return demo_data.ensure(data_root, features, rows=rows)
