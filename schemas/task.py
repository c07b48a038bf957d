"""The learning task, read from the label's schema entry: regression, binary or multiclass.

* FLOAT label, or INT without a categorical domain   -> REGRESSION
* BYTES label with a string domain (`domain: "name"` or an inline `string_domain`)
                                                     -> classes = the domain's values, in order
* INT label with `int_domain { is_categorical: true min: A max: B }`
                                                     -> classes = "A" .. "B"
* `bool_domain` (INT 0/1, or BYTES with `false_value`/`true_value`)
                                                     -> classes = (false, true)
* an open domain: `int_domain { is_categorical: true }` without min and max, or a string domain
  with no values (`string_domain {}`)               -> classes = the label values of the
                                                        training split (Transform's vocabulary)

Two classes make a BINARY task (the second class is the positive one: AUC, precision and recall
are about it), more a MULTICLASS one. A class's id is its position in the domain, so ids never
shift between runs or data drops; a class's name is the raw label value as text (for INT labels,
the number). Values outside the domain are anomalies that the data gate stops on (TFDV checks
the same domain).

An open domain is always MULTICLASS (a softmax over the classes found, two included): the task
must be known when the pipeline is compiled, before any data is read. Its classes are the
distinct label values of the training split, ordered by their fingerprint (Transform's
vocabulary with `fingerprint_shuffle`), so the same classes get the same ids in every run; each
model records its class names (serving returns them, the training record lists them).
"""

from __future__ import annotations

import enum
from typing import Optional, Tuple

MAX_INT_CLASSES = 10_000  # an int_domain wider than this is a numeric range, not classes
OPEN_CLASSES: Tuple[str, ...] = ()  # `label_classes` of an open domain: classes from the data


class Task(str, enum.Enum):
    """What the model predicts, decided by the label's schema entry (`label_classes`)."""

    REGRESSION = "regression"
    BINARY = "binary"
    MULTICLASS = "multiclass"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION

    @classmethod
    def for_classes(cls, class_names: Optional[Tuple[str, ...]], open_domain: bool = False
                    ) -> "Task":
        """REGRESSION without classes, BINARY for two, MULTICLASS for more or an open domain."""
        if class_names is None:
            return cls.REGRESSION
        return cls.BINARY if len(class_names) == 2 and not open_domain else cls.MULTICLASS


def _string_domain_values(feature, schema) -> Optional[Tuple[str, ...]]:
    """The values of a BYTES feature's string domain (inline or named), None without one."""
    domain = feature.WhichOneof("domain_info")
    if domain == "string_domain":
        return tuple(feature.string_domain.value)
    if domain == "domain":
        for named in schema.string_domain:
            if named.name == feature.domain:
                return tuple(named.value)
        raise ValueError(f"feature {feature.name!r} names domain {feature.domain!r}, which the "
                         "schema does not define (add a top-level string_domain of that name)")
    return None


def label_classes(feature, schema) -> Optional[Tuple[str, ...]]:
    """The class names of a label feature (`schema_pb2.Feature` in `schema_pb2.Schema`), in id
    order; None for a regression label, OPEN_CLASSES for an open domain. Raises ValueError (one
    line) for a label that cannot be a target: BYTES without a domain, fewer than two classes,
    repeated classes, an int domain with one bound only."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    name = feature.name
    domain = feature.WhichOneof("domain_info")
    if feature.type == schema_pb2.FLOAT:
        return None
    if domain == "bool_domain":
        if feature.type == schema_pb2.INT:
            classes: Tuple[str, ...] = ("0", "1")
        else:
            values = (feature.bool_domain.false_value, feature.bool_domain.true_value)
            if not all(values):
                raise ValueError(f"label {name!r} is BYTES with a bool_domain: give both "
                                 "false_value and true_value (the two class names)")
            classes = values
    elif feature.type == schema_pb2.INT:
        if domain != "int_domain" or not feature.int_domain.is_categorical:
            return None
        bounds = feature.int_domain
        if not (bounds.HasField("min") or bounds.HasField("max")):
            return OPEN_CLASSES
        if not (bounds.HasField("min") and bounds.HasField("max")):
            raise ValueError(f"label {name!r}: a categorical int_domain needs both min and max "
                             "(classes min..max) or neither (classes from the data)")
        if bounds.max - bounds.min >= MAX_INT_CLASSES:
            raise ValueError(f"label {name!r}: int_domain {bounds.min}..{bounds.max} holds more "
                             f"than {MAX_INT_CLASSES} classes")
        classes = tuple(str(v) for v in range(bounds.min, bounds.max + 1))
    else:  # BYTES
        classes = _string_domain_values(feature, schema)
        if classes is None:
            raise ValueError(f"label {name!r} is BYTES but has no string domain: list its "
                             "classes (`string_domain { value: \"a\" value: \"b\" }`), or give "
                             "an empty `string_domain {}` to take them from the data (or make "
                             "the label FLOAT for regression)")
        if not classes:
            return OPEN_CLASSES
    repeated = sorted({c for c in classes if classes.count(c) > 1})
    if repeated:
        raise ValueError(f"label {name!r} lists classes more than once: {repeated}")
    if len(classes) < 2:
        raise ValueError(f"label {name!r} has {len(classes)} class in its domain "
                         f"({list(classes)}); classification needs at least two")
    return classes
