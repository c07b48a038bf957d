"""The Chicago taxi rows TFX ships (`tfx/examples/chicago_taxi_pipeline/data/big_tipper_label`),
as this project's data contract: a CSV plus a schema, for `benchmarks/taxi_vs_tfx.py`.

The rows are the same 15,002; the columns are what TFX's `taxi_utils_native_keras.py` reads,
with the label `big_tipper` (equal to its `tips > 0.2 * fare`, which TFX derives from `tips`):

* numbers: fare, trip_miles, trip_seconds, the four coordinates (z-scored; missing values are
  imputed, where TFX buckets the coordinates into quantiles and fills missing values with 0);
* categories: trip start hour/day/month, community areas and the dropoff census tract (INT,
  missing -> 0 as TFX fills them), payment type and company (missing -> "", as TFX fills them);
* left out: `tips` (the label's source), `trip_start_timestamp` (TFX leaves it out too) and
  `pickup_census_tract` (missing in 15,001 of the 15,002 rows);
* label: `big_tipper`, INT with `bool_domain`: a binary task.
"""

from __future__ import annotations

import os

TAXI_CSV = os.path.join("tfx", "examples", "chicago_taxi_pipeline", "data", "big_tipper_label",
                        "data.csv")
LABEL = "big_tipper"
NUMERIC = ["fare", "trip_miles", "trip_seconds", "pickup_latitude", "pickup_longitude",
           "dropoff_latitude", "dropoff_longitude"]
INT_CATEGORIES = ["trip_start_hour", "trip_start_day", "trip_start_month",
                  "pickup_community_area", "dropoff_community_area", "dropoff_census_tract"]
STRING_CATEGORIES = ["payment_type", "company"]
FILLED = "(missing)"  # a category value for an empty cell (TFX fills them with "")


def taxi_csv_path() -> str:
    """TFX's taxi CSV inside the installed `tfx` package."""
    import tfx

    return os.path.join(os.path.dirname(os.path.dirname(tfx.__file__)), TAXI_CSV)


def _feature(name: str, body: str, required: bool = True) -> str:
    presence = "presence { min_fraction: 1 } shape { dim { size: 1 } }" if required else ""
    return f'feature {{ name: "{name}" {body} {presence} }}\n'


def write_taxi_dataset(out_dir: str) -> tuple:
    """Writes `<out_dir>/data/data.csv` and `<out_dir>/schema.pbtxt`; returns their paths."""
    import pandas as pd

    frame = pd.read_csv(taxi_csv_path())
    table = pd.DataFrame({name: frame[name] for name in NUMERIC})
    for name in INT_CATEGORIES:
        table[name] = frame[name].fillna(0).astype("int64")
    for name in STRING_CATEGORIES:
        table[name] = frame[name].fillna(FILLED)
    table[LABEL] = frame[LABEL].astype("int64")
    data_dir = os.path.join(out_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    csv_path = os.path.join(data_dir, "data.csv")
    table.to_csv(csv_path, index=False)

    schema = "".join(_feature(name, "type: FLOAT", required=bool(frame[name].notna().all()))
                     for name in NUMERIC)
    schema += "".join(_feature(name, "type: INT int_domain { is_categorical: true }")
                      for name in INT_CATEGORIES)
    schema += "".join(_feature(name, f'type: BYTES domain: "{name}"')
                      for name in STRING_CATEGORIES)
    schema += _feature(LABEL, 'type: INT bool_domain { } annotation { tag: "label" }')
    for name in STRING_CATEGORIES:
        values = "".join(f' value: "{v}"' for v in sorted(table[name].unique()))
        schema += f'string_domain {{ name: "{name}"{values} }}\n'
    schema_path = os.path.join(out_dir, "schema.pbtxt")
    with open(schema_path, "w", encoding="utf-8") as handle:
        handle.write(schema)
    return csv_path, schema_path
