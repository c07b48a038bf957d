"""`BlessedBeforeStrategy` on a real MLMD store: the newest blessed model older than the
reference, whatever the reference's type, and never a model whose blessing said no; as the
Evaluator's baseline, never a model that cannot read the candidate's examples."""

import pytest
from tfx.types import standard_artifacts

from components.resolvers.blessed_before import (BLESSING_KEY, MODEL_KEY, REFERENCE_KEY,
                                                 BlessedBeforeStrategy)
from components.trainer.serving_inputs import record_serving_inputs


@pytest.fixture
def history(metadata_store):
    """In creation order: examples_0, model_1 (blessed), examples_1, model_2 (not blessed),
    model_3 (blessed), examples_3, model_4 (the candidate, not evaluated yet)."""
    created = {}

    def model(name, blessed=None):
        created[name] = metadata_store.add(standard_artifacts.Model)
        if blessed is not None:
            created[f"{name}_blessing"] = metadata_store.add(
                standard_artifacts.ModelBlessing, blessed=int(blessed),
                current_model_id=created[name].id)

    created["examples_0"] = metadata_store.add(standard_artifacts.Examples, span=0)
    model("model_1", blessed=True)
    created["examples_1"] = metadata_store.add(standard_artifacts.Examples, span=1)
    model("model_2", blessed=False)
    model("model_3", blessed=True)
    created["examples_3"] = metadata_store.add(standard_artifacts.Examples, span=3)
    model("model_4")
    return created


def resolve(store, reference):
    """What the strategy returns, as names of `history`'s artifacts."""
    resolved = BlessedBeforeStrategy().resolve_artifacts(store.store, {
        REFERENCE_KEY: reference,
        MODEL_KEY: store.channel(standard_artifacts.Model),
        BLESSING_KEY: store.channel(standard_artifacts.ModelBlessing)})
    return {key: [a.id for a in artifacts] for key, artifacts in resolved.items()}


@pytest.mark.parametrize("reference, model", [
    ("model_4", "model_3"),     # evaluator baseline: blessed before the candidate was trained
    ("model_3", "model_1"),     # a model is not its own baseline; model_2 was not blessed
    ("examples_3", "model_3"),  # warm start: serving when this data arrived
    ("examples_1", "model_1"),
])
def test_newest_blessed_model_older_than_the_reference(metadata_store, history, reference,
                                                       model):
    assert resolve(metadata_store, [history[reference]]) == {
        REFERENCE_KEY: [history[reference].id],
        MODEL_KEY: [history[model].id],
        BLESSING_KEY: [history[f"{model}_blessing"].id]}


def test_nothing_blessed_before_the_first_model(metadata_store, history):
    assert resolve(metadata_store, [history["examples_0"]]) == {
        REFERENCE_KEY: [history["examples_0"].id], MODEL_KEY: [], BLESSING_KEY: []}


def test_a_rejected_candidate_is_not_the_next_baseline(metadata_store, history):
    """model_4 is evaluated and rejected; the next run's candidate is compared with model_3."""
    metadata_store.add(standard_artifacts.ModelBlessing, blessed=0,
                       current_model_id=history["model_4"].id)
    model_5 = metadata_store.add(standard_artifacts.Model)
    resolved = resolve(metadata_store, [model_5])
    assert resolved[MODEL_KEY] == [history["model_3"].id]
    assert resolved[BLESSING_KEY] == [history["model_3_blessing"].id]


def test_no_reference_resolves_no_model(metadata_store, history):
    assert resolve(metadata_store, []) == {REFERENCE_KEY: [], MODEL_KEY: [], BLESSING_KEY: []}


def test_mlmd_ids_grow_with_creation_time_across_types(metadata_store, history):
    """The strategy's premise: "older" is "smaller id", whatever the artifact type."""
    order = ["examples_0", "model_1", "model_1_blessing", "examples_1", "model_2",
             "model_2_blessing", "model_3", "model_3_blessing", "examples_3", "model_4"]
    ids = [history[name].id for name in order]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def resolve_baseline(store, candidate, tmp_path, serving_inputs):
    """The baseline `BlessedBeforeStrategy(same_serving_inputs=True)` resolves for `candidate`,
    each model's SavedModel under `tmp_path` recording `serving_inputs[model id]`."""
    models = store.channel(standard_artifacts.Model)
    for model in models:
        model.uri = str(tmp_path / str(model.id))
        if model.id in serving_inputs:
            record_serving_inputs(f"{model.uri}/Format-Serving", serving_inputs[model.id])
    [reference] = [model for model in models if model.id == candidate.id]
    resolved = BlessedBeforeStrategy(same_serving_inputs=True).resolve_artifacts(store.store, {
        REFERENCE_KEY: [reference], MODEL_KEY: models,
        BLESSING_KEY: store.channel(standard_artifacts.ModelBlessing)})
    return [model.id for model in resolved[MODEL_KEY]]


def test_a_baseline_that_cannot_read_the_candidates_examples_is_left_out(
        metadata_store, history, tmp_path, caplog):
    """model_3 parses TAX as int64; the schema made it FLOAT for model_4: TFMA would fail the
    Evaluator on model_3 ("Data types don't match"), so model_4 is judged by its bounds."""
    model_3, model_4 = history["model_3"], history["model_4"]
    assert resolve_baseline(metadata_store, model_4, tmp_path, {
        model_3.id: {"TAX": "int64", "RM": "float32"},
        model_4.id: {"TAX": "float32", "RM": "float32"}}) == []
    assert (f"No baseline model: the blessed model {tmp_path / str(model_3.id)} cannot read the "
            "candidate's examples (the schema changed the type of TAX (int64, now float32)); "
            "the candidate is judged by its bounds alone") in caplog.text


def test_a_baseline_reading_fewer_features_of_the_same_types_is_kept(
        metadata_store, history, tmp_path):
    model_3, model_4 = history["model_3"], history["model_4"]
    assert resolve_baseline(metadata_store, model_4, tmp_path, {
        model_3.id: {"TAX": "int64"},
        model_4.id: {"TAX": "int64", "RM": "float32"}}) == [model_3.id]
