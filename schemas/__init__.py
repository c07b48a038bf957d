"""Feature contracts: each dataset's TFDV schema, and the feature roles derived from it.

A dataset is a folder under `schemas/` holding `schema.pbtxt`. That file is the single source of
truth for feature names, types, value domains and roles; every other module (ingestion, Transform,
the model, the Evaluator config) asks this package instead of naming features itself.

Roles come from standard schema constructs, so the file stays a plain TFDV schema:

* `image_domain`            -> IMAGE  (raw CSV cell: a path; example: the encoded image bytes)
* a string domain (`domain` or `string_domain`), or an `int_domain` with `is_categorical`
                            -> CATEGORICAL
* FLOAT or INT otherwise    -> NUMERIC
* `annotation { tag: "label" }` -> LABEL (exactly one feature)
* `annotation { tag: "key" }`   -> KEY: ingested (e.g. to split on), never a model input

The label's type and domain decide the task (`schemas/task.py`): a FLOAT label is a regression
target; a label with a string domain, a categorical `int_domain` or a `bool_domain` is a class,
and its class names (in id order) travel with the label feature; an open domain (classes from
the data) travels as `open_classes` until the Trainer fills in the classes Transform found
(`FeatureSet.with_label_classes`). `FeatureSet.task`,
`FeatureSet.class_names` and `FeatureSet.num_classes` are what Transform, the model, the loop, the
Evaluator config, the serving signature and the run summary read.

A feature without a fixed `shape` whose `presence.min_fraction` is below 1 is optional: a missing
numeric value is imputed, a missing categorical value gets its own id, a missing key stays
missing. A feature whose `lifecycle_stage` is one that TFX's readers leave out (DEPRECATED,
DISABLED, PLANNED, ALPHA, DEBUG_ONLY, VALIDATION_DERIVED) is not part of the feature set: its
column is read past and never used.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

from schemas.task import OPEN_CLASSES, Task, label_classes

SCHEMAS_DIR = os.path.dirname(os.path.abspath(__file__))
SCHEMA_FILE_NAME = "schema.pbtxt"
LABEL_TAG = "label"
KEY_TAG = "key"


class SchemaError(ValueError):
    """A schema file that cannot serve as a feature contract."""


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")  # the files an IMAGE feature's path may name


class Role(str, enum.Enum):
    """What a feature is for; decides how ingestion, Transform and the model treat it."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    IMAGE = "image"
    LABEL = "label"
    KEY = "key"


class DType(str, enum.Enum):
    """The tf.Example value list a feature is stored in."""

    FLOAT = "float"
    INT = "int"
    BYTES = "bytes"


@dataclasses.dataclass(frozen=True)
class Feature:
    """One feature of a dataset: its name, role, stored type, whether a value is required
    (optional numeric values are imputed by Transform) and, for a class label, its class names
    in id order (None for every other feature and for a regression label) and whether its domain
    is open (classes from the training data: empty until the Trainer knows them)."""

    name: str
    role: Role
    dtype: DType
    required: bool = True
    classes: Optional[Tuple[str, ...]] = None
    open_classes: bool = False

    def to_dict(self) -> Dict[str, Any]:
        data = {"name": self.name, "role": self.role.value, "dtype": self.dtype.value,
                "required": self.required}
        if self.classes is not None:
            data["classes"] = list(self.classes)
        if self.open_classes:
            data["open_classes"] = True
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Feature":
        classes = data.get("classes")
        return cls(name=data["name"], role=Role(data["role"]), dtype=DType(data["dtype"]),
                   required=bool(data.get("required", True)),
                   classes=None if classes is None else tuple(str(c) for c in classes),
                   open_classes=bool(data.get("open_classes", False)))


@dataclasses.dataclass(frozen=True)
class FeatureSet:
    """The features of one dataset, in schema order, with role-based views."""

    features: Tuple[Feature, ...]

    def __post_init__(self):
        names = [f.name for f in self.features]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise SchemaError(f"features declared more than once: {', '.join(duplicated)}")
        labels = [f.name for f in self.features if f.role is Role.LABEL]
        if len(labels) != 1:
            raise SchemaError(
                f"exactly one feature must carry annotation {{ tag: \"{LABEL_TAG}\" }}; "
                f"found {len(labels)}: {labels}")
        if not self.inputs:
            raise SchemaError("the schema has a label but no input features")

    @property
    def names(self) -> List[str]:
        return [f.name for f in self.features]

    @property
    def label(self) -> Feature:
        return next(f for f in self.features if f.role is Role.LABEL)

    @property
    def inputs(self) -> List[Feature]:
        """Every feature the model reads: all but the label and keys."""
        return [f for f in self.features if f.role not in (Role.LABEL, Role.KEY)]

    @property
    def task(self) -> Task:
        """Regression, binary or multiclass classification, from the label's schema entry."""
        return Task.for_classes(self.label.classes, self.label.open_classes)

    @property
    def class_names(self) -> Tuple[str, ...]:
        """The label's class names in id order (class id i is `class_names[i]`); empty for
        regression."""
        return self.label.classes or ()

    @property
    def num_classes(self) -> int:
        """How many classes the label has (0 for regression and for an open domain before the
        Trainer fills it in)."""
        return len(self.class_names)

    def with_label_classes(self, class_names: Iterable[str]) -> "FeatureSet":
        """This feature set with an open label domain's classes filled in (in id order)."""
        label = self.label
        if not label.open_classes:
            raise ValueError(f"label {label.name!r} has no open domain to fill in")
        names = tuple(class_names)
        return FeatureSet(tuple(dataclasses.replace(f, classes=names) if f is label else f
                                for f in self.features))

    def with_role(self, role: Role) -> List[Feature]:
        return [f for f in self.features if f.role is role]

    def get(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(f"unknown feature {name!r}; the schema has {', '.join(self.names)}")

    def to_json_list(self) -> List[Dict[str, str]]:
        """A JSON-friendly form, for passing roles to executors through component properties."""
        return [f.to_dict() for f in self.features]

    @classmethod
    def from_json_list(cls, data: Iterable[Dict[str, Any]]) -> "FeatureSet":
        return cls(tuple(Feature.from_dict(d) for d in data))


class FeatureSettings:
    """Mixin for frozen dataclasses with a `features: FeatureSet` field (component settings):
    `to_dict`/`from_dict` give the JSON-able form that travels in component properties."""

    def to_dict(self) -> Dict[str, Any]:
        return dict(dataclasses.asdict(self), features=self.features.to_json_list())

    @classmethod
    def from_dict(cls, data: Dict[str, Any]):
        return cls(**dict(data, features=FeatureSet.from_json_list(data["features"])))


def dataset_schema_path(dataset: str) -> str:
    """Path of the curated schema of a dataset shipped under `schemas/` (e.g. "digits")."""
    path = os.path.join(SCHEMAS_DIR, dataset, SCHEMA_FILE_NAME)
    if not os.path.isfile(path):
        known = sorted(d for d in os.listdir(SCHEMAS_DIR)
                       if os.path.isfile(os.path.join(SCHEMAS_DIR, d, SCHEMA_FILE_NAME)))
        raise SchemaError(f"no dataset schema {dataset!r} under {SCHEMAS_DIR}; known: {known}")
    return path


def load_schema(path: str):
    """Reads a TFDV schema text proto (`schema_pb2.Schema`)."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    try:
        with open(path, encoding="utf-8") as handle:
            return text_format.Parse(handle.read(), schema_pb2.Schema())
    except OSError as err:
        raise SchemaError(f"cannot read schema {path}: {err.strerror}") from err
    except text_format.ParseError as err:
        raise SchemaError(f"schema {path} is not a valid schema text proto: {err}") from err


def feature_role(feature) -> Role:
    """The role of one `schema_pb2.Feature`, from the constructs listed in the module docstring."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    if LABEL_TAG in feature.annotation.tag:
        return Role.LABEL
    if KEY_TAG in feature.annotation.tag:
        return Role.KEY
    domain = feature.WhichOneof("domain_info")
    if domain == "image_domain":
        if feature.type != schema_pb2.BYTES:
            raise SchemaError(f"image feature {feature.name!r} must have type BYTES")
        return Role.IMAGE
    if domain in ("domain", "string_domain"):
        return Role.CATEGORICAL
    if domain == "int_domain" and feature.int_domain.is_categorical:
        return Role.CATEGORICAL
    if feature.type in (schema_pb2.FLOAT, schema_pb2.INT):
        return Role.NUMERIC
    raise SchemaError(
        f"feature {feature.name!r} has type BYTES but neither a string domain (categorical) "
        "nor an image_domain (image); give it one")


def is_unused(feature) -> bool:
    """Whether TFX's readers (tfx_bsl) leave this `schema_pb2.Feature` out, by its lifecycle stage;
    the pipeline does likewise."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    return feature.deprecated or feature.lifecycle_stage in (
        schema_pb2.DEPRECATED, schema_pb2.DISABLED, schema_pb2.PLANNED, schema_pb2.ALPHA,
        schema_pb2.DEBUG_ONLY, schema_pb2.VALIDATION_DERIVED)


def _dtype(feature) -> DType:
    from tensorflow_metadata.proto.v0 import schema_pb2

    return {schema_pb2.FLOAT: DType.FLOAT, schema_pb2.INT: DType.INT,
            schema_pb2.BYTES: DType.BYTES}[feature.type]


def _required(feature) -> bool:
    """Present in every example: a fixed shape, or presence with min_fraction 1."""
    return feature.HasField("shape") or feature.presence.min_fraction >= 1.0


def _classes(feature, schema) -> Optional[Tuple[str, ...]]:
    """A label's class names (see `schemas.task.label_classes`); None for other features."""
    if feature_role(feature) is not Role.LABEL:
        return None
    try:
        return label_classes(feature, schema)
    except ValueError as err:
        raise SchemaError(str(err)) from None


def feature_set_from_schema(schema) -> FeatureSet:
    """Derives the feature roles (and the label's classes) of a `schema_pb2.Schema`."""
    features = []
    for feature in schema.feature:
        tags = sorted(set(feature.annotation.tag) & {LABEL_TAG, KEY_TAG})
        if is_unused(feature) and tags:
            raise SchemaError(f"feature {feature.name!r} is tagged {tags[0]!r} but its "
                              "lifecycle_stage leaves it out (init writes DEPRECATED for columns "
                              "it leaves out): delete that line to use it")
        if not is_unused(feature):
            classes = _classes(feature, schema)
            features.append(Feature(feature.name, feature_role(feature), _dtype(feature),
                                    _required(feature), classes,
                                    open_classes=classes == OPEN_CLASSES))
    optional = [f.name for f in features if not f.required and f.role in (Role.IMAGE, Role.LABEL)]
    if optional:
        raise SchemaError(f"image and label features must be present in every row; make "
                          f"{optional} required (shape {{ dim {{ size: 1 }} }} or presence "
                          "{ min_fraction: 1 })")
    return FeatureSet(tuple(features))


def load_feature_set(path: str) -> FeatureSet:
    """Reads a schema file and derives its feature roles."""
    return feature_set_from_schema(load_schema(path))
