"""The record of what a model's `serving_default` parses, and whether an older model can read
the examples a newer one parses (the Evaluator's baseline)."""

import pytest

from components.trainer.serving_inputs import (record_serving_inputs, recorded_serving_inputs,
                                               unreadable_by)

CANDIDATE = {"RM": "float32", "TAX": "float32", "note": "string"}


def test_the_record_reads_back_and_a_model_without_it_reads_none(tmp_path):
    record_serving_inputs(str(tmp_path / "model"), CANDIDATE)
    assert recorded_serving_inputs(str(tmp_path / "model")) == CANDIDATE
    assert (tmp_path / "model/assets.extra/serving_inputs.json").is_file()
    assert recorded_serving_inputs(str(tmp_path / "older")) is None


@pytest.mark.parametrize("baseline, reason", [
    (CANDIDATE, None),
    ({"RM": "float32"}, None),          # a feature added since: the baseline does not parse it
    ({"RM": "float32", "TAX": "int64"},
     "the schema changed the type of TAX (int64, now float32)"),
    ({"RM": "float32", "CHAS": "int64", "AGE": "float32"},
     "it reads features the schema no longer has: AGE, CHAS"),
    ({"TAX": "int64", "CHAS": "int64"},
     "it reads features the schema no longer has: CHAS; "
     "the schema changed the type of TAX (int64, now float32)"),
    (None, None),                       # exported before the record: nothing to compare
])
def test_why_a_baseline_cannot_read_the_candidates_examples(baseline, reason):
    assert unreadable_by(baseline, CANDIDATE) == reason
    assert unreadable_by(baseline, None) is None
