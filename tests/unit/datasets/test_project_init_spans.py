"""`init` for data that arrives in spans (`<root>/span-<N>/`): drafted from one span, the
config reads the folder holding the spans with a `{SPAN}` pattern, and `init` says so; folders
a run's pattern would fail on are refused in one line."""

from PIL import Image

from pipeline import cli
from pipeline.config import load_config

HEADER = "x,kind\n"


def write_span(root, span, name="data.csv", rows=("1,a", "2,b", "3,a", "4,b")):
    (root / span).mkdir(parents=True, exist_ok=True)
    (root / span / name).write_text(HEADER + "\n".join(rows) + "\n")


def init_csv(csv, out, *extra):
    return cli.main(["init", "--csv", str(csv), "--label", "kind", "--out", str(out), *extra])


def test_a_csv_in_a_span_folder_is_drafted_as_one_span_of_many(tmp_path, capsys):
    root = tmp_path / "drops"
    for span in ("span-0", "span-1", "span-2"):
        write_span(root, span)
    write_span(root, "span-3", name="other.csv")  # no data.csv: not a span of this pattern
    out = tmp_path / "project"
    assert init_csv(root / "span-1" / "data.csv", out) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"note: {root} holds spans with data.csv (spans 0, 1, 2): drafted from span 1; the "
        f"config reads data_root {root} with input_pattern 'span-{{SPAN}}/data.csv', so each "
        "run ingests the newest span (now span 2, not span 1 drafted from)")
    config = load_config(str(out / "config.yaml"))
    assert (config.pipeline_name, config.data_root, config.input_pattern) == (
        "drops", str(root), "span-{SPAN}/data.csv")
    text = (out / "config.yaml").read_text()
    assert f"data_root: {root}".ljust(60) + " # folder holding the span folders\n" in text
    assert "input_pattern: 'span-{SPAN}/data.csv'".ljust(60) + (
        " # files under data_root that a run ingests, from the newest span\n") in text


def test_a_data_root_other_than_the_spans_folder_drafts_the_one_csv(tmp_path, capsys):
    root = tmp_path / "drops"
    write_span(root, "span-0")
    out = tmp_path / "project"
    assert init_csv(root / "span-0" / "data.csv", out, "--data-root", str(root / "span-0")) == 0
    assert "note:" not in capsys.readouterr().out
    config = load_config(str(out / "config.yaml"))
    assert (config.data_root, config.input_pattern) == (str(root / "span-0"), "data.csv")


def test_a_data_root_of_csv_spans_without_csv_names_the_newest_spans_csv(tmp_path, capsys):
    """README: `init` drafts a `{SPAN}` config from `span-<N>/` folders; `init --data-root`
    alone only said it needs --csv."""
    root = tmp_path / "drops"
    for span in ("span-2", "span-10"):
        write_span(root, span)
    (root / "span-11").mkdir()  # no CSV yet: not the newest span's CSV
    code = cli.main(["init", "--data-root", str(root), "--label", "kind", "--out",
                     str(tmp_path / "project")])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: init needs --csv FILE and --label COLUMN (or --layout class_folders --data-root "
        f"DIR); {root} holds span folders: pass --csv {root / 'span-10' / 'data.csv'} (the "
        "newest span's CSV), and the config init drafts reads every span\n")
    assert not (tmp_path / "project").exists()


def test_many_spans_are_counted_and_their_csvs_are_not_other_files(tmp_path, capsys):
    root = tmp_path / "drops"
    for span in range(25):
        write_span(root, f"span-{span}")
    assert init_csv(root / "span-24" / "data.csv", tmp_path / "project") == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "note" in line] == [
        f"note: {root} holds spans with data.csv (25 spans, 0 to 24): drafted from span "
        f"24; the config reads data_root {root} with input_pattern 'span-{{SPAN}}/data.csv', "
        "so each run ingests the newest span (now span 24)"]


def test_a_span_in_scikit_learns_layout_is_read_as_its_copy_alone(tmp_path, capsys):
    root = tmp_path / "drops"
    (root / "span-0").mkdir(parents=True)
    csv = root / "span-0" / "iris.csv"
    csv.write_text("4,1,a,b\n1.0,0\n2.0,1\n3.0,0\n4.0,1\n")
    out = tmp_path / "project"
    assert init_csv(csv, out) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        f"note: {csv} lies in span folder span-0, but a run cannot read scikit-learn's layout: "
        "the config reads the standard copy of that span alone; for each run to ingest the "
        "newest span, write the spans as standard CSVs (a header line) and run init again")
    config = load_config(str(out / "config.yaml"))
    assert (config.data_root, config.input_pattern) == (str(out / "data"), "iris.csv")


def test_a_folder_named_like_a_span_without_a_number_is_refused(tmp_path, capsys):
    root = tmp_path / "drops"
    write_span(root, "span-0")
    write_span(root, "span-old")
    out = tmp_path / "project"
    assert init_csv(root / "span-0" / "data.csv", out) == 1
    assert capsys.readouterr().err == (
        f"error: {root / 'span-old'} is named like a span but 'old' is not a span number: a "
        f"run's pattern span-{{SPAN}}/... would fail on it; rename it span-<N> or move it out "
        f"of {root}\n")
    write_span(root, "span-old", name="other.csv")  # the pattern does not match it: harmless
    (root / "span-old" / "data.csv").unlink()
    write_span(root, "span-00")
    assert init_csv(root / "span-0" / "data.csv", out) == 1
    assert capsys.readouterr().err == (
        f"error: {root} holds two folders of span 0 (span-0, span-00): a run would ingest one "
        "of them; merge or rename them\n")
    assert not out.exists()


def write_image(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (6, 6)).save(path)


def test_class_folders_in_spans_are_drafted_from_the_newest(tmp_path, capsys):
    root = tmp_path / "pets"
    write_image(root / "span-0" / "cat" / "a.png")
    write_image(root / "span-0" / "dog" / "a.png")
    for name in ("cat/a.png", "cat/b.png", "dog/a.png", "bird/a.png", "bird/young/b.png"):
        write_image(root / "span-1" / name)
    write_image(root / "loose.png")
    out = tmp_path / "project"
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(root),
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[:3] == [
        f"note: {root} holds spans of class folders (spans 0, 1): drafted from span 1; the "
        f"config reads data_root {root} with input_pattern 'span-{{SPAN}}/*/*', so each run "
        "ingests the newest span (now span 1)",
        f"note: 2 PNG/JPEG file(s) under {root} are not directly in a class folder and are not "
        "read (first: loose.png): the class_folders layout reads "
        "<data_root>/span-<N>/<class>/<image>",
        "Task: multiclass (3 classes: bird, cat, dog). Columns:"]
    config = load_config(str(out / "config.yaml"))
    assert (config.pipeline_name, config.data_root, config.input_pattern) == (
        "pets", str(root), "span-{SPAN}/*/*")
    assert config.min_eval_accuracy == 0.5
    text = (out / "config.yaml").read_text()
    assert "layout: class_folders".ljust(60) + " # one folder per class under each span folder\n" \
        in text


def test_class_folders_of_the_newest_span_must_be_two(tmp_path, capsys):
    root = tmp_path / "pets"
    write_image(root / "span-0" / "cat" / "a.png")
    write_image(root / "span-0" / "dog" / "a.png")
    write_image(root / "span-1" / "cat" / "a.png")
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(root),
                     "--out", str(tmp_path / "project")]) == 1
    assert capsys.readouterr().err == (
        f"error: {root / 'span-1'} holds PNG/JPEG images in 1 class folder(s) (cat); the "
        "class_folders layout needs at least two (<data_root>/<class>/<image>, in each span "
        "folder)\n")


def test_image_paths_relative_to_their_span_folder_are_named_as_such(tmp_path, capsys):
    """Runs read a span's image paths relative to the folder holding the spans; a CSV whose
    paths start inside its own span folder found no file, and the error only said to pass
    --data-root (which drafts that span alone)."""
    root = tmp_path / "drops"
    (root / "span-0" / "img").mkdir(parents=True)
    rows = []
    for index in range(4):
        Image.new("RGB", (4, 4)).save(root / "span-0" / "img" / f"{index}.png")
        rows.append(f"img/{index}.png,{'ab'[index % 2]}")
    (root / "span-0" / "data.csv").write_text("photo,kind\n" + "\n".join(rows) + "\n")
    assert init_csv(root / "span-0" / "data.csv", tmp_path / "project") == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith(f"; in spans, image paths are relative to the folder holding the span "
                          f"folders, {root} (span-0/<path>), as every run reads them")
