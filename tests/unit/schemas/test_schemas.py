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


def test_json_round_trip(digits_features):
    assert schemas.FeatureSet.from_json_list(digits_features.to_json_list()) == digits_features


@pytest.mark.parametrize("text, message", [
    (BASE.replace('annotation { tag: "label" }', ""), "exactly one feature must carry"),
    (BASE + 'feature { name: "y2" type: FLOAT annotation { tag: "label" } shape { dim { size: 1 } } }',
     "found 2"),
    (BASE + 'feature { name: "free_text" type: BYTES }', "neither a string domain"),
    (BASE + 'feature { name: "c2" type: BYTES domain: "c" }', r"make \['c2'\] required"),
    (BASE + 'feature { name: "pic" type: FLOAT image_domain {} }', "must have type BYTES"),
    (BASE + 'feature { name: "n" type: FLOAT }', "declared more than once: n"),
    ("feature { name: ", "not a valid schema text proto"),
])
def test_bad_schemas_are_refused(tmp_path, text, message):
    with pytest.raises(schemas.SchemaError, match=message):
        schemas.load_feature_set(write_schema(tmp_path, text))


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(schemas.SchemaError, match=r"known: \['digits'\]"):
        schemas.dataset_schema_path("no-such-dataset")
