"""`PreviousSpanStatisticsStrategy` on a real MLMD store: it follows StatisticsGen lineage to the
newest statistics of the highest span below the current one, ignoring Transform's statistics."""

import pytest
from tfx.types import standard_artifacts

from components.resolvers.previous_span import (EXAMPLES_KEY, STATISTICS_KEY,
                                                PreviousSpanStatisticsStrategy)

STATISTICS_GEN = "tfx.components.statistics_gen.component.StatisticsGen"
TRANSFORM = "tfx.components.transform.component.Transform"


@pytest.fixture
def lineage(metadata_store):
    """Spans 0, 1, 1 (re-ingested), 2, each with the statistics StatisticsGen computed on it,
    and Transform's post-transform statistics of span 1's second ingestion, created last."""
    created = {}
    for name, span in [("0", 0), ("1", 1), ("1b", 1), ("2", 2)]:
        created[f"examples_{name}"] = examples = metadata_store.add(
            standard_artifacts.Examples, span=span)
        created[f"statistics_{name}"] = metadata_store.execute(
            STATISTICS_GEN, [examples], standard_artifacts.ExampleStatistics)
    created["transform_statistics"] = metadata_store.execute(
        TRANSFORM, [created["examples_1b"]], standard_artifacts.ExampleStatistics)
    return created


def resolve(store, current):
    resolved = PreviousSpanStatisticsStrategy().resolve_artifacts(store.store, {
        EXAMPLES_KEY: current,
        STATISTICS_KEY: store.channel(standard_artifacts.ExampleStatistics)})
    assert [a.id for a in resolved[EXAMPLES_KEY]] == [a.id for a in current]
    return [a.id for a in resolved[STATISTICS_KEY]]


@pytest.mark.parametrize("current, expected", [
    ("examples_2", "statistics_1b"),  # span 1's newest statistics, not Transform's
    ("examples_1b", "statistics_0"),  # the same span is not "previous"
    ("examples_1", "statistics_0"),
])
def test_statistics_of_the_span_before(metadata_store, lineage, current, expected):
    assert resolve(metadata_store, [lineage[current]]) == [lineage[expected].id]


def test_the_first_span_has_no_previous_statistics(metadata_store, lineage):
    assert resolve(metadata_store, [lineage["examples_0"]]) == []


def test_a_gap_in_spans_resolves_the_highest_lower_span(metadata_store, lineage):
    examples_5 = metadata_store.add(standard_artifacts.Examples, span=5)
    assert resolve(metadata_store, [examples_5]) == [lineage["statistics_2"].id]


def test_examples_without_a_span_resolve_nothing(metadata_store, lineage):
    assert resolve(metadata_store, [metadata_store.add(standard_artifacts.Examples)]) == []


def test_no_statistics_in_the_store_resolves_nothing(metadata_store):
    current = metadata_store.add(standard_artifacts.Examples, span=3)
    assert resolve(metadata_store, [current]) == []
