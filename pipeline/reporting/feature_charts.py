"""The data section's charts, from StatisticsGen's TFDV statistics: a histogram per numeric
feature and a bar chart per categorical one, the splits overlaid (and the previous span's train
split, with the drift score the data gate computed, when there is one). Bars are shares of all
the series' examples (TFDV's common statistics count them), so a feature's missing values are
the share its bars leave to 100%; a categorical's values beyond the TOP_CATEGORIES shown make one
"other values" bar. Key columns (never model inputs) get a line, not a chart.

TFDV's equal-width histograms have each split's own bucket edges; `rebin` spreads them over
common edges (uniformly within a bucket) so the splits' bars line up. A bucket of infinite
values is left out of the bars, and the title says how many values it held. Image features have
only byte sizes here; the report shows their thumbnails instead (`samples.py`).
"""

from __future__ import annotations

import math
import os
from typing import Dict, List, Optional, Sequence, Tuple

from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline.reporting import charts

BINS = 20
TAIL_SHARE = 0.005  # at each end, the share of a series' values a histogram may leave out
TOP_CATEGORIES = 12
OTHER_VALUES = "other values"
PREVIOUS_SERIES = "previous span (train)"
DRIFT_NAMES = {"L_INFTY": "L-infinity distance",
               "JENSEN_SHANNON_DIVERGENCE": "Jensen-Shannon divergence",
               "NORMALIZED_ABSOLUTE_DIFFERENCE": "normalized absolute difference"}


def read_statistics(statistics_uri: str) -> Dict[str, Dict[str, object]]:
    """Split -> feature name -> TFDV FeatureNameStatistics, for every split of the artifact."""
    import tensorflow as tf
    from tensorflow_data_validation import load_stats_binary

    result = {}
    for path in sorted(tf.io.gfile.glob(os.path.join(statistics_uri, "Split-*",
                                                     "FeatureStats.pb"))):
        split = os.path.basename(os.path.dirname(path)).removeprefix("Split-")
        result[split] = {".".join(f.path.step): f
                         for f in load_stats_binary(path).datasets[0].features}
    return result


def numeric_buckets(feature) -> List[Tuple[float, float, float]]:
    """(low, high, count) buckets of a numeric feature: its TFDV quantiles histogram (equal
    counts: narrow buckets where the values are dense) refined by its equal-width one (whose
    buckets resolve the tails, where a quantile bucket spans a wide range), both read as points
    of the values' cumulative count (`merge_cumulative`); else whichever of the two it has.
    Spreading a bucket's count uniformly over common edges (`rebin`) is then close to the data:
    spreading a split's equal-width bucket [0, 4.7) that held 93% of the taxi tips drew 47% in
    [0, 2.5) and 47% in [2.5, 5), where 85% and 8% of the tips are; the quantile buckets alone
    drew each outer tenth of the values flat over its whole range."""
    by_kind = {histogram.type: [(b.low_value, b.high_value, b.sample_count)
                                for b in histogram.buckets]
               for histogram in feature.num_stats.histograms}
    quantiles = by_kind.get(statistics_pb2.Histogram.QUANTILES, [])
    standard = by_kind.get(statistics_pb2.Histogram.STANDARD, [])
    if not (quantiles and standard):
        return quantiles or standard
    return merge_cumulative(quantiles, standard) + [
        b for b in standard if not _finite_bucket(b)]


def cumulative_points(buckets: Sequence[Tuple[float, float, float]]
                      ) -> List[Tuple[float, float]]:
    """(edge, count of the values up to it) at each finite edge of buckets in ascending order."""
    points, below = [], 0.0
    for low, high, count in buckets:
        if math.isfinite(low):
            points.append((low, below))
        below += count
        if math.isfinite(high):
            points.append((high, below))
    return points


def merge_cumulative(primary: Sequence[Tuple[float, float, float]],
                     secondary: Sequence[Tuple[float, float, float]]
                     ) -> List[Tuple[float, float, float]]:
    """Finite buckets between the edges of two histograms of the same values, counts from
    their cumulative counts taken together. At an edge both have, `primary`'s count holds (a
    zero-width bucket of `primary` is a value many examples share; the two cumulative counts
    at one edge would draw one where TFDV's approximate quantiles and the equal-width counts
    disagree), and the cumulative count never goes down."""
    primary_points = cumulative_points(primary)
    primary_edges = {edge for edge, _ in primary_points}
    points = sorted(primary_points + [point for point in cumulative_points(secondary)
                                      if point[0] not in primary_edges])
    if not points:
        return []
    merged = []
    (previous_edge, counted), *rest = points
    for edge, below in rest:
        if below > counted:
            merged.append((previous_edge, edge, below - counted))
            counted = below
        previous_edge = edge
    return merged


def _finite_bucket(bucket: Tuple[float, float, float]) -> bool:
    """Whether a bucket's edges are finite (TFDV gives infinite values a bucket of their own,
    (inf, inf), and an open-ended quantile bucket reaches inf)."""
    return math.isfinite(bucket[0]) and math.isfinite(bucket[1])


def value_at_share(buckets: Sequence[Tuple[float, float, float]], share: float) -> float:
    """The value below which `share` of the buckets' count lies (linear within a bucket)."""
    total = sum(b[2] for b in buckets)
    target, below = share * total, 0.0
    for low, high, count in buckets:
        if count and below + count >= target:
            return low + (high - low) * (target - below) / count
        below += count
    return buckets[-1][1]


def clip_tails(bucket_lists: Dict[str, List[Tuple[float, float, float]]],
               tail: float = TAIL_SHARE
               ) -> Tuple[Dict[str, List[Tuple[float, float, float]]], str]:
    """The buckets within the range that holds all but `tail` of every series' values at each
    end, when that range is under half of the whole (a few huge fares stretched the axis to 700
    and drew 99% of the taxi fares as one bar); else as they are. Also the title's note on the
    values left out ("" when none)."""
    lows = [b[0] for buckets in bucket_lists.values() for b in buckets]
    highs = [b[1] for buckets in bucket_lists.values() for b in buckets]
    low, high = min(lows), max(highs)
    cut_low = min(value_at_share(b, tail) for b in bucket_lists.values())
    cut_high = max(value_at_share(b, 1 - tail) for b in bucket_lists.values())
    if not high - low > 2 * (cut_high - cut_low):
        return dict(bucket_lists), ""
    cut_low, cut_high = (low if cut_low - low < (high - low) / 4 else cut_low,
                         high if high - cut_high < (high - low) / 4 else cut_high)
    clipped, left_out = {}, []
    for series, buckets in bucket_lists.items():
        clipped[series] = [b for b in (clip_bucket(b, cut_low, cut_high) for b in buckets) if b]
        total = sum(b[2] for b in buckets)
        left_out.append(1 - sum(b[2] for b in clipped[series]) / total if total else 0.0)
    outside = " and ".join(text for cut, edge, text in (
        (cut_low, low, f"below {charts.number(cut_low)}"),
        (cut_high, high, f"above {charts.number(cut_high)}")) if cut != edge)
    return clipped, f" (values {outside}, up to {max(left_out):.1%} of a series, not drawn)"


def clip_bucket(bucket: Tuple[float, float, float], low: float, high: float
                ) -> Optional[Tuple[float, float, float]]:
    """The part of a bucket within [low, high], its count in proportion (a zero-width bucket
    whole or not at all); None when nothing of it is."""
    b_low, b_high, count = bucket
    if b_high <= b_low:
        return bucket if low <= b_low <= high else None
    inside = min(b_high, high) - max(b_low, low)
    if inside <= 0:
        return None
    return (max(b_low, low), min(b_high, high), count * inside / (b_high - b_low))


def common_edges(bucket_lists: Sequence[Sequence[Tuple[float, float, float]]],
                 bins: int = BINS) -> List[float]:
    """`bins` equal-width buckets over the range of every list's buckets."""
    lows = [b[0] for buckets in bucket_lists for b in buckets]
    highs = [b[1] for buckets in bucket_lists for b in buckets]
    low, high = min(lows), max(highs)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return [low + (high - low) * i / bins for i in range(bins + 1)]


def rebin(buckets: Sequence[Tuple[float, float, float]], edges: Sequence[float]) -> List[float]:
    """Counts of `buckets` over `edges`, each bucket's count spread uniformly over its width (a
    zero-width bucket counts in the bin holding its value)."""
    counts = [0.0] * (len(edges) - 1)
    for low, high, count in buckets:
        if high <= low:
            index = next((i for i in range(len(counts)) if edges[i + 1] >= low), len(counts) - 1)
            counts[index] += count
            continue
        for i in range(len(counts)):
            overlap = min(high, edges[i + 1]) - max(low, edges[i])
            if overlap > 0:
                counts[i] += count * overlap / (high - low)
    return counts


def shares(counts: Sequence[float], total: float) -> List[float]:
    """Each count as a share of `total` (zeros when there is nothing)."""
    return [c / total if total else 0.0 for c in counts]


def common_stats(feature):
    """The feature's TFDV CommonStatistics (numeric or categorical)."""
    return getattr(feature, feature.WhichOneof("stats")).common_stats


def examples_count(feature) -> float:
    """How many examples the feature's statistics cover: with the value or without it."""
    stats = common_stats(feature)
    return stats.num_non_missing + stats.num_missing


def category_shares(feature, categories: Sequence[str]) -> List[float]:
    """Shares of all examples per value of `categories`, then the share of every other value
    (the examples with a value, less those counted in `categories`)."""
    counts = category_counts(feature)
    shown = [counts.get(c, 0.0) for c in categories]
    other = max(common_stats(feature).num_non_missing - sum(shown), 0.0)
    return shares(shown + [other], examples_count(feature))


def category_counts(feature) -> Dict[str, float]:
    """Value -> count of a categorical feature (TFDV's rank histogram, else its top values)."""
    stats = feature.string_stats
    buckets = stats.rank_histogram.buckets or stats.top_values
    return {(b.label if hasattr(b, "label") else b.value): b.sample_count for b in buckets}


def drift_line(drift) -> str:
    """How a feature's drift score (components.data_gate.anomalies.DriftScore) compares with
    the gate's threshold, in words."""
    verdict = "over" if drift.value > drift.threshold else "within"
    return (f"{DRIFT_NAMES.get(drift.kind, drift.kind)} from the previous span: "
            f"{drift.value:.3f} ({verdict} the gate's threshold {drift.threshold:g})")


def feature_chart(name: str, by_series: Dict[str, object]) -> Optional[str]:
    """A histogram (numeric) or bar chart (categorical: the TOP_CATEGORIES most frequent values,
    by name, and OTHER_VALUES when there are more) of one feature across the series (split name
    -> FeatureNameStatistics), in shares of each series' examples; None for other kinds (bytes,
    images)."""
    kinds = {f.WhichOneof("stats") for f in by_series.values()}
    title = name
    if kinds == {"num_stats"}:
        buckets = {series: numeric_buckets(f) for series, f in by_series.items()}
        left_out = sum(b[2] for bs in buckets.values() for b in bs if not _finite_bucket(b))
        buckets = {series: [b for b in bs if _finite_bucket(b)] for series, bs in buckets.items()}
        buckets = {series: b for series, b in buckets.items() if b}
        if not buckets:
            return None
        buckets, tails = clip_tails(buckets)
        edges = common_edges(list(buckets.values()))
        return charts.histogram(edges, {
            series: shares(rebin(b, edges), examples_count(by_series[series]))
            for series, b in buckets.items()},
            title + charts.not_drawn(round(left_out), "value") + tails, name,
                                outlined=(PREVIOUS_SERIES,))
    if kinds == {"string_stats"}:
        counts = {series: category_counts(f) for series, f in by_series.items()}
        totals: Dict[str, float] = {}
        for values in counts.values():
            for value, count in values.items():
                totals[value] = totals.get(value, 0.0) + count
        categories = sorted(sorted(totals, key=lambda v: (-totals[v], v))[:TOP_CATEGORIES])
        by_value = {series: category_shares(by_series[series], categories) if values else []
                    for series, values in counts.items()}
        if any(values[-1] for values in by_value.values() if values):
            return charts.bars(categories + [OTHER_VALUES], by_value, title, name)
        return charts.bars(categories, {series: values[:-1] for series, values
                                        in by_value.items()}, title, name)
    return None


def key_line(statistics: Dict[str, Dict[str, object]], keys: Sequence[str]) -> str:
    """One line naming the key columns (not charted) and their distinct values per split;
    "" without keys."""
    described = []
    for name in keys:
        distinct = [f"{int(statistics[split][name].string_stats.unique)} in {split}"
                    for split in sorted(statistics, key=split_order)
                    if name in statistics[split]
                    and statistics[split][name].WhichOneof("stats") == "string_stats"]
        described.append(name + (f" (distinct values: {', '.join(distinct)})" if distinct
                                 else ""))
    return (f"Not charted: the key column{'s' * (len(keys) > 1)} {'; '.join(described)} "
            "(never a model input)." if keys else "")


def split_order(split: str) -> Tuple[int, str]:
    """Sort key: train, then eval, then any other split by name."""
    return ({"train": 0, "eval": 1}.get(split, 2), split)


def statistics_charts(statistics: Dict[str, Dict[str, object]], names: Sequence[str],
                      previous_train: Optional[Dict[str, object]] = None,
                      drift: Optional[Dict[str, object]] = None
                      ) -> List[Tuple[str, str, str]]:
    """(feature name, chart, caption) per chartable feature of `names`, in that order;
    `drift` maps feature names to the data gate's DriftScore, told in the caption."""
    result = []
    for name in names:
        by_series = {split: statistics[split][name]
                     for split in sorted(statistics, key=split_order)
                     if name in statistics[split]}
        if previous_train and name in previous_train:
            by_series[PREVIOUS_SERIES] = previous_train[name]
        chart = feature_chart(name, by_series)
        if chart:
            score = (drift or {}).get(name)
            result.append((name, chart, drift_line(score) if score else ""))
    return result


def statistics_rows(statistics: Dict[str, Dict[str, object]]) -> Dict[str, List[List[object]]]:
    """Split -> one row per feature: name, present, missing, mean, std, min, max, unique/bytes."""
    result = {}
    for split, features in statistics.items():
        rows = []
        for name, feature in features.items():
            kind = feature.WhichOneof("stats")
            stats = getattr(feature, kind)
            row = [name, int(stats.common_stats.num_non_missing),
                   int(stats.common_stats.num_missing)]
            if kind == "num_stats":
                row += [stats.mean, stats.std_dev, stats.min, stats.max, ""]
            elif kind == "string_stats":
                row += ["", "", "", "", f"{stats.unique} values"]
            else:
                row += ["", "", "", "", f"{stats.avg_num_bytes:.0f} B avg, "
                                        f"{stats.max_num_bytes_int} B max"]
            rows.append(row)
        result[split] = rows
    return result
