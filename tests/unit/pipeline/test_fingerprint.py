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


def test_the_pipelines_schema_import_carries_the_schema_files_fingerprint(tmp_path):
    """TFX's cache key has ImportSchemaGen's path, not the file: the fingerprint property is
    what makes an edited schema import again."""
    import shutil

    import schemas
    from pipeline.config import load_config
    from pipeline.fingerprint import file_fingerprint
    from pipeline.runners.local import build_pipeline

    path = tmp_path / "schema.pbtxt"
    shutil.copy(schemas.dataset_schema_path("digits"), path)
    config = load_config(overrides={"schema_path": str(path), "output_dir": str(tmp_path)})

    def imported_properties():
        [node] = [c for c in build_pipeline(config).components
                  if c.id == "ImportSchemaGen"]
        return node.exec_properties

    before = imported_properties()
    assert before == {"schema_file": str(path), "schema_fingerprint": file_fingerprint(str(path))}
    path.write_text(path.read_text() + "# edited\n")
    assert imported_properties()["schema_fingerprint"] != before["schema_fingerprint"]


def test_the_data_gate_carries_its_codes_fingerprint(tmp_path):
    """TFX caches the DataGate on its inputs and properties: without its code's fingerprint, a
    gate given a new check came from the cache on the same statistics and never ran it."""
    from pipeline.config import load_config
    from pipeline.runners.local import build_pipeline

    config = load_config(overrides={"output_dir": str(tmp_path)})
    [node] = [c for c in build_pipeline(config).components if c.id == "DataGate"]
    assert node.exec_properties == {
        "code_fingerprint": code_fingerprint(["components.data_gate", "schemas"])}
