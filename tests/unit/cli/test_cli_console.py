"""The command line: instant help and config errors, with no TensorFlow or TFX imported; a
closed standard output ends a command quietly."""

import os
import subprocess
import sys

import pytest

import schemas
from pipeline import cli
from pipeline.cli import console

ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository


def test_help_imports_nothing_heavy():
    probe = ("import sys\nfrom pipeline import cli\n"
             "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('tensorflow', 'tfx', 'apache_beam') if m in sys.modules]\n"
             "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert "usage: pipeline_runner.py" in result.stdout
    assert "HEAVY []" in result.stdout


def test_config_error_is_one_line_and_exit_2(capsys, tmp_path):
    code = cli.main(["run", "--train-steps", "-3", "--output-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert err.startswith("error: invalid config: train_steps")


def test_missing_data_root_is_refused_before_any_work(capsys, tmp_path):
    code = cli.main(["run", "--data-root", str(tmp_path / "none"), "--output-dir", str(tmp_path)])
    assert code == 2
    assert "does not exist (pass --demo" in capsys.readouterr().err


def test_missing_data_root_imports_nothing_heavy(tmp_path):
    probe = ("import sys\nfrom pipeline import cli\n"
             f"code = cli.main(['run', '--data-root', {str(tmp_path / 'none')!r}])\n"
             "print('CODE', code, [m for m in ('tensorflow', 'tfx') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert "CODE 2 []" in result.stdout


def test_init_on_a_csv_imports_nothing_heavy(tmp_path):
    """init reads rows by ingestion's rules; Beam's filesystems, which ingestion opens images
    with, cost it 1.3 s of its 1.7 s on scikit-learn's breast-cancer CSV."""
    csv = tmp_path / "data.csv"
    csv.write_text("x,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20)))
    probe = ("import sys\nfrom pipeline import cli\n"
             f"code = cli.main(['init', '--csv', {str(csv)!r}, '--label', 'kind', '--out', "
             f"{str(tmp_path / 'project')!r}])\n"
             "heavy = [m for m in ('tensorflow', 'tfx', 'apache_beam') if m in sys.modules]\n"
             "print('CODE', code, heavy)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert "CODE 0 []" in result.stdout


@pytest.mark.parametrize("argv", [[], ["frobnicate"]])
def test_usage_errors(argv):
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2


def test_console_shows_own_progress_and_errors_only():
    import logging

    progress = console.OwnProgressFilter()

    def record(path, level=logging.INFO):
        return logging.LogRecord("absl", level, path, 1, "msg", None, None)

    assert progress.filter(record(os.path.join(ROOT, "components", "trainer", "loop.py")))
    assert progress.filter(record(os.path.join(ROOT, "components", "ingest", "executor.py")))
    assert not progress.filter(record("/site-packages/tfx/orchestration/launcher.py"))
    assert progress.filter(record("/site-packages/tfx/orchestration/launcher.py",
                                  logging.ERROR))


def test_quiet_console_also_silences_library_noise_in_worker_processes(monkeypatch):
    """Beam's multi_processing workers are new interpreters that import TensorFlow: neither
    library warnings nor TensorFlow's C++ start-up log reach the console."""
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    console.configure_logging(verbose=False)
    worker = subprocess.run(
        [sys.executable, "-c",
         "import warnings; warnings.warn('old api', FutureWarning); "
         "warnings.warn('invalid value encountered in divide', RuntimeWarning); "
         "import tensorflow"],
        capture_output=True, text=True, check=True)
    assert worker.stderr == ""


def test_every_command_has_the_quiet_console(tmp_path):
    """`init` too (it imports Google Cloud clients that warn about Python 3.10 on import): the
    console shows the command's own output, not library warnings."""
    iris = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data",
                        "iris.csv")
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "pipeline_runner.py"), "init", "--csv", iris,
         "--label", "species", "--out", str(tmp_path / "iris")],
        capture_output=True, text=True, cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS",
                                                               "TF_CPP_MIN_LOG_LEVEL")})
    assert result.returncode == 0, result.stderr
    assert "Task: multiclass" in result.stdout
    assert "Warning" not in result.stderr


def _closed_stdout_run(argv, cwd, unbuffered):
    """(exit status, stderr) of pipeline_runner.py whose stdout reader left before it printed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "pipeline_runner.py"), *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env)
    process.stdout.close()  # the reader leaves before the command prints anything
    stderr = process.stderr.read().decode()
    return process.wait(), stderr


@pytest.mark.parametrize("unbuffered", [True, False])
def test_a_closed_stdout_ends_the_command_quietly_with_status_141(tmp_path, unbuffered):
    """`init ... | head -3` with the reader gone before the first line: no message, the exit
    status of a program SIGPIPE ended; unbuffered (each print meets the closed pipe) or not
    (the final flush does). The files were written before the printing."""
    iris = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data",
                        "iris.csv")
    assert _closed_stdout_run(["init", "--csv", iris, "--label", "species", "--out",
                               str(tmp_path / "iris")], tmp_path, unbuffered) == (141, "")
    assert (tmp_path / "iris" / "schema.pbtxt").is_file()


def test_help_into_a_closed_pipe_is_quiet_too(tmp_path):
    assert _closed_stdout_run(["--help"], tmp_path, unbuffered=False) == (141, "")
