"""`run` names the CSV files under the data root that its input patterns leave out: a second
file dropped beside `input_pattern: data.csv` counted as a data change and the run went through
TFX, yet ingested the same rows without a word."""

import logging
import os
import shutil

from pipeline.cli import run_commands
from pipeline.config import load_config

IRIS = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data",
                    "iris.csv")


def notes(caplog, tmp_path, **settings):
    config = load_config(overrides={"data_root": str(tmp_path / "data"),
                                    "output_dir": str(tmp_path / "data" / "out"), **settings})
    caplog.clear()
    with caplog.at_level(logging.INFO):
        run_commands._note_unmatched_csv_files(config)  # pylint: disable=protected-access
    return [record.getMessage() for record in caplog.records]


def test_csv_files_the_input_patterns_leave_out_are_named(tmp_path, caplog):
    data = tmp_path / "data"
    for name in ("data.csv", "later.csv", "later2.csv", "span-1/rows.csv", "span-2/rows.CSV",
                 "out/predictions.csv", "train/a.csv", "eval/b.csv"):
        os.makedirs(os.path.dirname(data / name), exist_ok=True)
        shutil.copy(IRIS, data / name)
    (data / "notes.txt").write_text("not a CSV")
    assert notes(caplog, tmp_path, input_pattern="data.csv") == [
        "Not ingested: 6 CSV file(s) under data_root that input_pattern 'data.csv' does not "
        "match: later.csv, later2.csv, eval/b.csv, span-1/rows.csv, span-2/rows.CSV and 1 more"]
    assert notes(caplog, tmp_path, input_pattern="span-{SPAN}/*") == [
        "Not ingested: 5 CSV file(s) under data_root that input_pattern 'span-{SPAN}/*' does "
        "not match: data.csv, later.csv, later2.csv, eval/b.csv, train/a.csv"]
    assert notes(caplog, tmp_path, input_splits={"train": "train/*.csv",
                                                 "eval": "eval/*.csv"}) == [
        "Not ingested: 5 CSV file(s) under data_root that input_splits 'eval/*.csv' or "
        "'train/*.csv' does not match: data.csv, later.csv, later2.csv, span-1/rows.csv, "
        "span-2/rows.CSV"]
    assert notes(caplog, tmp_path, input_pattern="**.csv") == [  # as tf.io.gfile.glob lists
        "Not ingested: 4 CSV file(s) under data_root that input_pattern '**.csv' does not "
        "match: eval/b.csv, span-1/rows.csv, span-2/rows.CSV, train/a.csv"]
    for name in ("later.csv", "later2.csv"):
        os.remove(data / name)
    for folder in ("span-1", "span-2", "train", "eval"):
        shutil.rmtree(data / folder)
    assert notes(caplog, tmp_path, input_pattern="*.csv") == []
