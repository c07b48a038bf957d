"""Feature roles come from the schema file alone, and bad schemas are refused with a reason."""

import pytest

import schemas
from schemas import Role

BASE = """
feature { name: "img" type: BYTES image_domain {} presence { min_fraction: 1 } }
feature { name: "n" type: FLOAT }
feature { name: "c" type: BYTES domain: "c" shape { dim { size: 1 } } }
feature { name: "y" type: FLOAT annotation { tag: "label" } presence { min_fraction: 1 } }
string_domain { name: "c" value: "u" value: "v" }
"""


def write_schema(tmp_path, text):
    text = text.replace('annotation { tag: "label" } }',
                        'annotation { tag: "label" } presence { min_fraction: 1 } }')
    path = tmp_path / "schema.pbtxt"
    path.write_text(text)
    return str(path)


def test_digits_roles(digits_features):
    roles = {f.name: f.role for f in digits_features.features}
    assert roles == {"image": Role.IMAGE, "z": Role.NUMERIC, "pen": Role.CATEGORICAL,
                     "y": Role.LABEL}
    assert digits_features.label.name == "y"
    assert [f.name for f in digits_features.inputs] == ["image", "z", "pen"]


def test_roles_from_schema_constructs(tmp_path):
    features = schemas.load_feature_set(write_schema(tmp_path, BASE + """
        feature { name: "k" type: INT int_domain { is_categorical: true } presence { min_fraction: 1 } }
        feature { name: "count" type: INT }"""))
    assert features.get("k").role is Role.CATEGORICAL
    assert features.get("count").role is Role.NUMERIC
    assert features.get("count").dtype is schemas.DType.INT
    assert features.get("n").required is False and features.get("img").required is True


def test_optional_categoricals_and_keys_and_unused_lifecycle_stages(tmp_path):
    features = schemas.load_feature_set(write_schema(tmp_path, BASE + """
        feature { name: "c2" type: BYTES domain: "c" presence { min_fraction: 0.5 } }
        feature { name: "id" type: BYTES annotation { tag: "key" } }
        feature { name: "old" type: BYTES lifecycle_stage: DEPRECATED }
        feature { name: "off" type: FLOAT lifecycle_stage: DISABLED }"""))
    assert (features.get("c2").role, features.get("c2").required) == (Role.CATEGORICAL, False)
    assert (features.get("id").role, features.get("id").required) == (Role.KEY, False)
    assert features.names == ["img", "n", "c", "y", "c2", "id"]


def test_json_round_trip(digits_features):
    assert schemas.FeatureSet.from_json_list(digits_features.to_json_list()) == digits_features


@pytest.mark.parametrize("text, message", [
    (BASE.replace('annotation { tag: "label" }', ""), "exactly one feature must carry"),
    (BASE + 'feature { name: "y2" type: FLOAT annotation { tag: "label" } shape { dim { size: 1 } } }',
     "found 2"),
    (BASE + 'feature { name: "free_text" type: BYTES }', "neither a string domain"),
    (BASE + 'feature { name: "pic" type: BYTES image_domain {} }', r"make \['pic'\] required"),
    (BASE + 'feature { name: "pic" type: FLOAT image_domain {} }', "must have type BYTES"),
    (BASE + 'feature { name: "n" type: FLOAT }', "declared more than once: n"),
    ("feature { name: ", "not a valid schema text proto"),
    (BASE + 'feature { name: "row_id" type: BYTES annotation { tag: "key" } '
            'lifecycle_stage: DEPRECATED }',
     "feature 'row_id' is tagged 'key' but its lifecycle_stage leaves it out .init writes "
     "DEPRECATED for columns it leaves out.: delete that line to use it"),
])
def test_bad_schemas_are_refused(tmp_path, text, message):
    with pytest.raises(schemas.SchemaError, match=message):
        schemas.load_feature_set(write_schema(tmp_path, text))


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(schemas.SchemaError, match=r"known: \['digit_classes', 'digits'\]"):
        schemas.dataset_schema_path("no-such-dataset")


LABELLED = """
feature { name: "img" type: BYTES image_domain {} presence { min_fraction: 1 } }
"""


@pytest.mark.parametrize("label, task, classes", [
    ('feature { name: "y" type: FLOAT annotation { tag: "label" } }', schemas.Task.REGRESSION, ()),
    ('feature { name: "y" type: INT annotation { tag: "label" } }', schemas.Task.REGRESSION, ()),
    ('feature { name: "y" type: BYTES domain: "animals" annotation { tag: "label" } }\n'
     'string_domain { name: "animals" value: "dog" value: "cat" value: "emu" }',
     schemas.Task.MULTICLASS, ("dog", "cat", "emu")),
    ('feature { name: "y" type: BYTES string_domain { value: "no" value: "yes" } '
     'annotation { tag: "label" } }', schemas.Task.BINARY, ("no", "yes")),
    ('feature { name: "y" type: INT int_domain { is_categorical: true min: 3 max: 5 } '
     'annotation { tag: "label" } }', schemas.Task.MULTICLASS, ("3", "4", "5")),
    ('feature { name: "y" type: INT bool_domain {} annotation { tag: "label" } }',
     schemas.Task.BINARY, ("0", "1")),
    ('feature { name: "y" type: BYTES bool_domain { false_value: "ham" true_value: "spam" } '
     'annotation { tag: "label" } }', schemas.Task.BINARY, ("ham", "spam")),
    # open domains: classes from the data (Transform), always a softmax over them
    ('feature { name: "y" type: BYTES string_domain {} annotation { tag: "label" } }',
     schemas.Task.MULTICLASS, ()),
    ('feature { name: "y" type: BYTES domain: "any" annotation { tag: "label" } }\n'
     'string_domain { name: "any" }', schemas.Task.MULTICLASS, ()),
    ('feature { name: "y" type: INT int_domain { is_categorical: true } '
     'annotation { tag: "label" } }', schemas.Task.MULTICLASS, ()),
])
def test_task_and_classes_come_from_the_label(tmp_path, label, task, classes):
    features = schemas.load_feature_set(write_schema(tmp_path, LABELLED + label))
    assert features.task is task
    assert features.class_names == classes
    assert features.num_classes == len(classes)
    assert features.label.open_classes is (classes == () and task is not schemas.Task.REGRESSION)
    assert schemas.FeatureSet.from_json_list(features.to_json_list()) == features


def test_open_label_classes_are_filled_in_and_stay_multiclass(tmp_path):
    features = schemas.load_feature_set(write_schema(tmp_path, LABELLED + (
        'feature { name: "y" type: BYTES string_domain {} annotation { tag: "label" } }')))
    filled = features.with_label_classes(["yes", "no"])
    assert filled.class_names == ("yes", "no") and filled.num_classes == 2
    assert filled.task is schemas.Task.MULTICLASS  # the Evaluator was configured before the data
    assert filled.inputs == features.inputs
    assert schemas.FeatureSet.from_json_list(filled.to_json_list()) == filled
    regression = schemas.load_feature_set(write_schema(tmp_path, LABELLED + (
        'feature { name: "y" type: FLOAT annotation { tag: "label" } }')))
    with pytest.raises(ValueError, match="label 'y' has no open domain to fill in"):
        regression.with_label_classes(["a", "b"])


def test_classification_demo_schema_lists_ten_digits():
    features = schemas.load_feature_set(schemas.dataset_schema_path("digit_classes"))
    assert features.task is schemas.Task.MULTICLASS
    assert features.class_names == tuple("0123456789")


@pytest.mark.parametrize("label, message", [
    ('feature { name: "y" type: BYTES annotation { tag: "label" } }',
     r"label 'y' is BYTES but has no string domain: list its classes .* or give an empty "
     r"`string_domain \{\}` to take them from the data"),
    ('feature { name: "y" type: BYTES string_domain { value: "only" } annotation { tag: "label" } }',
     r"label 'y' has 1 class in its domain \(\['only'\]\); classification needs at least two"),
    ('feature { name: "y" type: BYTES string_domain { value: "a" value: "a" } '
     'annotation { tag: "label" } }', r"lists classes more than once: \['a'\]"),
    ('feature { name: "y" type: INT int_domain { is_categorical: true min: 1 } '
     'annotation { tag: "label" } }', "needs both min and max"),
    ('feature { name: "y" type: BYTES domain: "nowhere" annotation { tag: "label" } }',
     "names domain 'nowhere', which the schema does not define"),
    ('feature { name: "y" type: BYTES bool_domain { true_value: "t" } '
     'annotation { tag: "label" } }', "give both false_value and true_value"),
])
def test_labels_that_cannot_be_targets_are_refused(tmp_path, label, message):
    with pytest.raises(schemas.SchemaError, match=message):
        schemas.load_feature_set(write_schema(tmp_path, LABELLED + label))
