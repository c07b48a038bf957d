"""Installs tfx-multimodal: the `pipeline`, `components` and `schemas` packages and a CLI.

Dependencies are pinned transitively in requirements.lock (scripts/dev installs it with
--no-deps); install_requires repeats only the direct pins of requirements.in.
"""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def _direct_requirements():
    with open(os.path.join(HERE, "requirements.in"), encoding="utf-8") as handle:
        lines = [line.split("#")[0].strip() for line in handle]
    return [line for line in lines if line and not line.startswith("pytest")]


setup(
    name="tfx-multimodal",
    version="0.1.0",
    description="A TFX pipeline for models that read images and tabular columns.",
    python_requires=">=3.10,<3.11",
    packages=find_packages(include=["pipeline", "pipeline.*", "components", "components.*",
                                    "schemas", "schemas.*"]),
    package_data={"schemas": ["*/schema.pbtxt"]},
    py_modules=["pipeline_runner"],
    install_requires=_direct_requirements(),
    entry_points={"console_scripts": ["tfx-multimodal=pipeline.cli:main"]},
)
