"""Warm start (components/trainer/warm_start.py): weights read from an exported model, only
from the same classes, and each categorical's embedding rows following its values when the
vocabulary changed between spans (ids are by frequency, so they move)."""

import numpy as np
import tensorflow as tf
import tf_keras as keras

from components.trainer import export, model, warm_start

SPEC = {
    "image": tf.io.FixedLenFeature([4, 4, 1], tf.float32),
    "z": tf.io.FixedLenFeature([1], tf.float32),
    "pen": tf.io.FixedLenFeature([1], tf.int64),
    "y": tf.io.FixedLenFeature([1], tf.float32),
}


def test_rows_follow_values_and_the_oov_and_missing_rows_keep_theirs():
    # required: rows are the vocabulary then one OOV bucket
    assert warm_start.row_sources([b"a", b"b", b"c"], [b"c", b"a", b"d"], 4, 4).tolist() == [
        2, 0, -1, 3]
    # optional: row 0 is the missing value's; a value gone from the vocabulary is dropped
    assert warm_start.row_sources([b"a", b"b", b"c"], [b"b", b"e", b"f", b"a"], 5, 6).tolist() \
        == [0, 2, -1, -1, 1, 4]
    assert warm_start.row_sources([b"a"], [b"a"], 3, 2) is None  # laid out differently
    assert warm_start.row_sources([b"a"], [b"a"], 5, 5) is None


def export_with_vocabulary(path, trained, tokens):
    """`trained` exported as the Trainer does, with its pen vocabulary where Transform's layer
    keeps it (the SavedModel's assets)."""
    module = tf.Module()
    export.attach_model(module, trained)
    tf.saved_model.save(module, str(path))
    (path / "assets").mkdir(exist_ok=True)
    (path / "assets" / "pen_vocab").write_bytes(b"".join(t + b"\n" for t in tokens))
    return str(path)


def test_embedding_rows_follow_a_reordered_and_grown_vocabulary(tmp_path, digits_features):
    """Span 0's vocabulary was red, green, blue by frequency; span 1's blue, green, red, pink:
    copying rows as they were gave red blue's embedding (eval RMSE 8.2 against 0.19)."""
    extra = 2 if not digits_features.get("pen").required else 1  # OOV (+ missing) rows
    keras.utils.set_random_seed(0)
    old_tokens = [b"red", b"green", b"blue"]
    trained = model.build_model(digits_features, SPEC, {"pen": 3 + extra})
    exported = export_with_vocabulary(tmp_path / "exported", trained, old_tokens)
    keras.utils.set_random_seed(1)
    new_tokens = [b"blue", b"green", b"red", b"pink"]
    fresh = model.build_model(digits_features, SPEC, {"pen": 4 + extra})
    fresh_rows = fresh.get_layer("pen_embedding").get_weights()[0].copy()
    assert warm_start.warm_start(fresh, exported, vocabularies={"pen": new_tokens})
    old_rows = trained.get_layer("pen_embedding").get_weights()[0]
    rows = fresh.get_layer("pen_embedding").get_weights()[0]
    missing = extra - 1
    for new_id, token in enumerate(new_tokens):
        want = (old_rows[missing + old_tokens.index(token)] if token in old_tokens
                else fresh_rows[missing + new_id])  # pink: a value span 0 did not have
        np.testing.assert_array_equal(rows[missing + new_id], want)
    np.testing.assert_array_equal(rows[-1], old_rows[-1])  # the OOV bucket
    np.testing.assert_array_equal(rows[:missing], old_rows[:missing])  # the missing value
    for layer in ("image_conv1", "hidden1", "prediction"):
        for got, want in zip(fresh.get_layer(layer).get_weights(),
                             trained.get_layer(layer).get_weights()):
            np.testing.assert_array_equal(got, want)


def test_a_changed_vocabulary_without_the_default_embedding_refuses(tmp_path, digits_features,
                                                                    caplog):
    def builder(inputs):  # the pen ids feed a layer whose rows cannot be matched by value
        one_hot = tf.one_hot(tf.squeeze(inputs["pen"], -1), 4)
        return keras.layers.Dense(1)(keras.layers.Concatenate()([
            keras.layers.Flatten()(inputs["image"]), inputs["z"], one_hot]))

    trained = model.build_model(digits_features, SPEC, {"pen": 4}, builder=builder)
    exported = export_with_vocabulary(tmp_path / "exported", trained, [b"a", b"b"])
    same = model.build_model(digits_features, SPEC, {"pen": 4}, builder=builder)
    assert warm_start.warm_start(same, exported, vocabularies={"pen": [b"a", b"b"]})
    fresh = model.build_model(digits_features, SPEC, {"pen": 4}, builder=builder)
    before = [w.copy() for w in fresh.get_weights()]
    assert not warm_start.warm_start(fresh, exported, vocabularies={"pen": [b"b", b"a"]})
    assert (f"Not warm-starting from {exported}: the vocabulary of 'pen' changed and the model "
            "has no pen_embedding layer whose rows could follow it") in caplog.text
    for got, want in zip(fresh.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_a_model_without_the_vocabulary_is_not_warm_started_from(tmp_path, digits_features,
                                                                 caplog):
    trained = model.build_model(digits_features, SPEC, {"pen": 4})
    module = tf.Module()
    export.attach_model(module, trained)
    tf.saved_model.save(module, str(tmp_path / "exported"))
    fresh = model.build_model(digits_features, SPEC, {"pen": 4})
    assert not warm_start.warm_start(fresh, str(tmp_path / "exported"),
                                     vocabularies={"pen": [b"a", b"b"]})
    assert "it does not hold the vocabulary of 'pen'" in caplog.text


def test_warm_start_reads_weights_of_an_exported_model(tmp_path, digits_features):
    from components.trainer import export

    keras.utils.set_random_seed(0)
    exported = model.build_model(digits_features, SPEC, {"pen": 3})
    module = tf.Module()
    export.attach_model(module, exported)
    tf.saved_model.save(module, str(tmp_path / "exported"))

    keras.utils.set_random_seed(1)
    fresh = model.build_model(digits_features, SPEC, {"pen": 3})
    assert not np.allclose(fresh.get_weights()[0], exported.get_weights()[0])
    assert warm_start.warm_start(fresh, str(tmp_path / "exported"))
    for got, want in zip(fresh.get_weights(), exported.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_a_classifier_warm_starts_only_from_the_same_classes(tmp_path, digits_features):
    from components.trainer import export

    exported = model.build_model(digits_features, SPEC, {"pen": 3})
    module = tf.Module()
    export.attach_model(module, exported)
    tf.saved_model.save(module, str(tmp_path / "exported"))
    fresh = model.build_model(digits_features, SPEC, {"pen": 3})
    before = [w.copy() for w in fresh.get_weights()]
    # recorded by none (an older export), then by a model of other classes or another order
    for recorded in (None, ("cat", "dog", "owl"), ("dog", "cat")):
        if recorded:
            export.record_class_names(str(tmp_path / "exported"), recorded)
        assert not warm_start.warm_start(fresh, str(tmp_path / "exported"), ("cat", "dog"))
        for got, want in zip(fresh.get_weights(), before):
            np.testing.assert_array_equal(got, want)
    export.record_class_names(str(tmp_path / "exported"), ("cat", "dog"))
    assert export.recorded_class_names(str(tmp_path / "exported")) == ("cat", "dog")
    assert warm_start.warm_start(fresh, str(tmp_path / "exported"), ("cat", "dog"))
    np.testing.assert_array_equal(fresh.get_weights()[0], exported.get_weights()[0])


def test_an_embedding_whose_rows_do_not_fit_its_vocabulary_refuses(tmp_path, digits_features,
                                                                   caplog):
    """The exported matrix's rows are checked against its own vocabulary: one more row than
    the vocabulary, the OOV bucket and the missing value take is another id layout."""
    extra = 2 if not digits_features.get("pen").required else 1
    trained = model.build_model(digits_features, SPEC, {"pen": 3 + extra + 1})
    exported = export_with_vocabulary(tmp_path / "exported", trained, [b"a", b"b", b"c"])
    fresh = model.build_model(digits_features, SPEC, {"pen": 2 + extra})
    assert not warm_start.warm_start(fresh, exported, vocabularies={"pen": [b"b", b"a"]})
    assert f"Not warm-starting from {exported}: the ids of 'pen' are laid out differently" in \
        caplog.text
