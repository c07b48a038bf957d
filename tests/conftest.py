"""Shared fixtures: the digits feature set and small demo datasets written on the fly."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def digits_features():
    import schemas

    return schemas.load_feature_set(schemas.dataset_schema_path("digits"))


@pytest.fixture(scope="session")
def tiny_demo_data(tmp_path_factory, digits_features):
    """A 60-row demo dataset (CSV + images), generated once per session."""
    from pipeline import demo_data

    root = tmp_path_factory.mktemp("demo")
    demo_data.generate(str(root), digits_features, rows=60)
    return root
