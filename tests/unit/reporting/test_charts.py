"""SVG chart primitives: tick values, element counts and positions."""

import xml.etree.ElementTree as ElementTree

import pytest

from pipeline.reporting import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg_text):
    return ElementTree.fromstring(svg_text)


def texts(root):
    return [t.text for t in root.iter(SVG + "text")]


@pytest.mark.parametrize("low, high, expected", [
    (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0.0, 10.0, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
    (-3.2, 4.9, [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0]),
    (150.0, 1500.0, [0.0, 500.0, 1000.0, 1500.0]),
    (5.0, 5.0, [4.0, 4.5, 5.0, 5.5, 6.0]),
])
def test_nice_ticks(low, high, expected):
    assert charts.nice_ticks(low, high) == pytest.approx(expected)


@pytest.mark.parametrize("low, high", [(float("nan"), 1.0), (0.0, float("inf")),
                                       (float("-inf"), float("nan"))])
def test_nice_ticks_of_a_range_that_is_not_finite_are_none(low, high):
    """A NaN or infinite bound raised `ValueError: cannot convert float NaN to integer`, and
    the run's report was not written."""
    assert charts.nice_ticks(low, high) == []


def test_lines_and_scatter_leave_out_points_that_are_not_finite_and_say_so():
    nan, inf = float("nan"), float("inf")
    root = parse(charts.lines({"eval_loss": [(10, 2.0), (20, nan), (30, 1.5)],
                               "loss": [(10, inf)]}, "loss", "training step", "loss"))
    [line] = root.iter(SVG + "polyline")
    assert len(line.get("points").split()) == 2 and "nan" not in line.get("points")
    assert "loss (2 points not a finite number: not drawn)" in texts(root)
    root = parse(charts.scatter([(1.0, nan), (2.0, 1.0), (3.0, 3.0)], "p", "actual", "pred"))
    assert len(list(root.iter(SVG + "circle"))) == 2
    assert "p (1 point not a finite number: not drawn)" in texts(root)
    assert "nan" not in ElementTree.tostring(root, encoding="unicode")


def test_axes_map_the_ranges_onto_the_plot_area():
    axes = charts.Axes((0.0, 10.0), (0.0, 1.0), "t", "x", "y", width=400, height=250)
    assert axes.x(0.0) == 58 and axes.x(10.0) == 400 - 14
    assert axes.y(0.0) == 250 - 40 and axes.y(1.0) == 44


def test_histogram_draws_one_bar_per_bucket_and_series_with_labelled_axes():
    root = parse(charts.histogram([0.0, 1.0, 2.0, 3.0], {"train": [0.5, 0.3, 0.2],
                                                         "eval": [0.4, 0.4, 0.2]},
                                  "z", "z value"))
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(bars) == 6
    assert bars[0].find(SVG + "title").text == "train 0..1: 50.0%"
    labels = texts(root)
    assert {"z", "z value", "share of examples", "train", "eval"} <= set(labels)
    assert root.get("width") == str(charts.WIDTH)


def test_bars_group_the_series_per_category():
    root = parse(charts.bars(["a", "b"], {"train": [0.75, 0.25], "eval": [0.5, 0.5]},
                             "pen", "pen"))
    titles = [r.find(SVG + "title").text for r in root.iter(SVG + "rect")
              if r.find(SVG + "title") is not None]
    assert titles == ["train a: 75.0%", "train b: 25.0%", "eval a: 50.0%", "eval b: 50.0%"]
    counts = parse(charts.bars(["1"], {"rows": [150]}, "rows", "run", "rows", percent=False))
    assert [r.find(SVG + "title").text for r in counts.iter(SVG + "rect")
            if r.find(SVG + "title") is not None] == ["rows 1: 150"]


def test_bar_labels_too_wide_to_stand_side_by_side_are_slanted_in_a_taller_chart():
    names = ["Taxi Affiliation Services", "Blue Ribbon", "KOAM", "A", "B", "other values"]
    root = parse(charts.bars(names, {"train": [0.3, 0.2, 0.1, 0.1, 0.1, 0.05]}, "company",
                             "company"))
    slanted = [t for t in root.iter(SVG + "text") if "rotate(-40" in t.get("transform", "")]
    assert [t.text for t in slanted] == ["Taxi Affili…", "Blue Ribbon", "KOAM", "A", "B",
                                         "other values"]
    assert slanted[0].get("transform").startswith("rotate(-40 ")
    assert slanted[0].get("text-anchor") == "end"
    extra = 46  # 12 characters of 6 px, times sin(40 degrees)
    assert root.get("height") == str(charts.HEIGHT + extra)
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    # the plot area keeps its place and size: the labels get the room added below it
    assert float(bars[0].get("y")) + float(bars[0].get("height")) == charts.HEIGHT - 40
    short = parse(charts.bars(["a", "b"], {"train": [0.5, 0.5]}, "pen", "pen"))
    assert short.get("height") == str(charts.HEIGHT)
    assert not [t for t in short.iter(SVG + "text") if "rotate(-40" in t.get("transform", "")]
    fitting = parse(charts.bars(names[2:], {"train": [0.1, 0.1, 0.1, 0.05]}, "c", "c"))
    assert fitting.get("height") == str(charts.HEIGHT)  # 4 labels of 12 characters fit


def test_lines_label_the_last_value_and_the_marks():
    root = parse(charts.lines({"eval_loss": [(10, 2.0), (20, 1.0), (30, 1.5)]}, "loss",
                              "training step", "loss", marks=[charts.Mark(20, "best step 20")]))
    [line] = root.iter(SVG + "polyline")
    assert len(line.get("points").split()) == 3
    assert len(list(root.iter(SVG + "circle"))) == 3
    assert {"best step 20", "1.5", "training step", "loss", "eval_loss"} <= set(texts(root))


def test_mark_labels_stay_in_the_plot_area_clear_of_the_legend_and_the_y_ticks():
    """A mark's label stood above the plot area, over the legend; near the y axis it now turns
    to the right of its line instead of reaching over the tick values."""
    root = parse(charts.lines({"loss": [(0, 1.0), (100, 0.5)]}, "t", "step", "loss",
                              marks=[charts.Mark(10, "best step 10"),
                                     charts.Mark(90, "best step 90")]))
    labels = [(t.text, t.get("x"), t.get("y"), t.get("text-anchor"))
              for t in root.iter(SVG + "text") if t.text.startswith("best")]
    assert labels == [("best step 10", "87.6", "54", "start"),
                      ("best step 90", "294.4", "54", "end")]


def test_scatter_has_one_dot_per_point_and_the_diagonal():
    root = parse(charts.scatter([(1.0, 1.5), (2.0, 1.0), (3.0, 3.0)], "p", "actual", "pred"))
    assert len(list(root.iter(SVG + "circle"))) == 3
    assert any(line.get("stroke-dasharray") for line in root.iter(SVG + "line"))


def test_spread_moves_close_labels_apart_and_up_from_the_lowest_place():
    assert charts.spread([(100.0, "a"), (104.0, "b")]) == [(100.0, "a"), (111.0, "b")]
    assert charts.spread([(104.0, "b"), (100.0, "a")], lowest=106.0) == [(106.0, "b"),
                                                                         (95.0, "a")]


def test_end_labels_of_lines_ending_together_stay_apart_and_clear_of_the_x_ticks():
    """Lines ending close together at the bottom had their last labels pushed down over the
    last x tick's label (at y 226): now the lowest sits at the x axis (210) + 3."""
    root = parse(charts.lines({"a": [(0, 2.0), (100, 1.0)], "b": [(0, 2.0), (100, 1.005)],
                               "c": [(0, 1.9), (100, 1.01)]}, "t", "step", "v"))
    ends = [(t.text, t.get("y")) for t in root.iter(SVG + "text") if t.get("fill")]
    assert ends == [("1", "213.0"), ("1.005", "202.0"), ("1.01", "191.0")]
    assert [t.get("y") for t in root.iter(SVG + "text") if t.text == "100"] == ["226"]


def test_ticks_of_a_narrow_range_of_large_values_get_distinct_labels():
    """Census tract ids (17031010100 to 17031980000): at 4 significant digits every x tick of
    the histogram read 1.703e+10."""
    chart = parse(charts.histogram([17031010100.0, 17031500000.0, 17031980000.0],
                                   {"train": [0.5, 0.5]}, "tract", "tract"))
    labels = [t for t in texts(chart) if t and t.startswith("1.70")]
    assert labels == ["1.70312e+10", "1.70316e+10"]  # every other tick: 11 characters touched
    assert charts.tick_labels([0.0, 0.25, 0.5]) == ["0", "0.25", "0.5"]
