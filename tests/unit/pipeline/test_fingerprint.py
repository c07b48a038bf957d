"""Code fingerprints change exactly when the fingerprinted source changes."""

from pipeline.fingerprint import code_fingerprint


def test_fingerprint_follows_source(tmp_path, monkeypatch):
    package = tmp_path / "fp_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "mod.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    before = code_fingerprint(["fp_pkg"])
    assert code_fingerprint(["fp_pkg"]) == before
    module.write_text("VALUE = 2\n")
    assert code_fingerprint(["fp_pkg"]) != before


def test_unknown_module_is_an_error():
    import pytest

    with pytest.raises(ImportError, match="no_such_module_xyz"):
        code_fingerprint(["no_such_module_xyz"])
