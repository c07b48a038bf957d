"""The confusion matrix's chart: cell sizes, counts, class names whole or slanted."""

from test_charts import SVG, parse, texts

from pipeline.reporting import heatmap


def test_heatmap_writes_class_names_whole_and_grows_to_hold_its_texts():
    """Two classes in 48 px cells: the title, the y axis label and the names were cut to the
    chart's 164 px (`onfusion matrix (accuracy 96.4%`, `maligna…`), the column names ran
    together (`benignmaligna…`)."""
    root = parse(heatmap.heatmap([[79, 0], [4, 29]], ["benign", "malignant"],
                                "confusion matrix (accuracy 96.4%)", "predicted diagnosis",
                                "true diagnosis"))
    assert (root.get("width"), root.get("height")) == ("247", "195")  # 33 bold characters
    placed = [(t.text, t.get("x"), t.get("y"), t.get("transform"))
              for t in root.iter(SVG + "text") if not t.text.isdigit()]
    assert placed == [
        ("confusion matrix (accuracy 96.4%)", "124", "16", None),
        ("benign", "80", "58", None),  # the matrix starts after 24 + 9 * 6 + 6 px
        ("benign", "111.0", "136", "rotate(-40 111.0 136)"),  # columns: wider than 48 - 6 px
        ("malignant", "80", "106", None),
        ("malignant", "159.0", "136", "rotate(-40 159.0 136)"),
        ("predicted diagnosis", "132", "189", None),
        ("true diagnosis", None, None, "translate(13,78) rotate(-90)")]
    long_name = parse(heatmap.heatmap([[1, 0], [0, 1]], ["a", "an extremely long class name"],
                                     "c", "p", "t"))
    assert [t.text for t in long_name.iter(SVG + "text")][-4:-2] == [
        "an extremely lo…", "an extremely lo…"]


def test_heatmap_of_short_names_writes_them_upright():
    root = parse(heatmap.heatmap([[1] * 10] * 10, [str(d) for d in range(10)], "c", "p", "t"))
    columns = [t for t in root.iter(SVG + "text") if t.text == "7" and t.get("text-anchor")
               == "middle" and t.get("y") == str(30 + 480 + 14)]
    assert len(columns) == 1 and columns[0].get("transform") is None


def test_a_ten_class_heatmap_is_readable_at_page_width():
    """Ten classes had 30 px cells (a 300 px matrix) and 11 px counts: 48 px cells, 14 px
    counts, each centred in its cell."""
    root = parse(heatmap.heatmap([[1000] * 10] * 10, [str(d) for d in range(10)], "c", "p", "t"))
    cells = list(root.iter(SVG + "rect"))
    assert {(r.get("width"), r.get("height")) for r in cells} == {("48", "48")}
    assert int(root.get("width")) >= 480 + 36
    counts = [t for t in root.iter(SVG + "text") if t.text == "1000"]
    assert len(counts) == 100 and {t.get("font-size") for t in counts} == {"14"}
    assert (counts[0].get("x"), counts[0].get("y")) == (str(36 + 24), str(30 + 24 + 6))


def test_heatmap_writes_every_nonzero_count():
    root = parse(heatmap.heatmap([[5, 1], [0, 4]], ["cat", "dog"], "confusion", "pred", "true"))
    cells = [r.find(SVG + "title").text for r in root.iter(SVG + "rect")]
    assert cells == ["cat as cat: 5", "cat as dog: 1", "dog as cat: 0", "dog as dog: 4"]
    assert [t for t in texts(root) if t.isdigit()] == ["5", "1", "4"]
