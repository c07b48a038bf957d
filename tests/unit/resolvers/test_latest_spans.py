"""`LatestSpansStrategy` on a real MLMD store: per span the newest ingestion, for the K highest
spans, oldest span first."""

import pytest
from tfx.types import standard_artifacts

from components.resolvers.latest_spans import (CURRENT_KEY, EXAMPLES_KEY, LatestSpansStrategy,
                                               artifact_span)


@pytest.fixture
def ingested(metadata_store):
    """Examples of spans 0..3 in creation order; span 1 was ingested twice (versions 0, 1), and
    span 3 is the current run's. Keys: (span, version)."""
    return {(span, version): metadata_store.add(standard_artifacts.Examples, span=span,
                                                version=version)
            for span, version in [(0, 0), (1, 0), (2, 0), (1, 1), (3, 0)]}


def resolve(store, current, window):
    resolved = LatestSpansStrategy(window=window).resolve_artifacts(store.store, {
        CURRENT_KEY: [current], EXAMPLES_KEY: store.channel(standard_artifacts.Examples)})
    assert [a.id for a in resolved[CURRENT_KEY]] == [current.id]
    return [a.id for a in resolved[EXAMPLES_KEY]]


@pytest.mark.parametrize("window, expected", [
    (1, [(3, 0)]),
    (2, [(2, 0), (3, 0)]),
    (3, [(1, 1), (2, 0), (3, 0)]),           # span 1's newer ingestion only
    (10, [(0, 0), (1, 1), (2, 0), (3, 0)]),  # a window wider than the history: every span once
])
def test_newest_ingestion_of_the_highest_spans(metadata_store, ingested, window, expected):
    assert resolve(metadata_store, ingested[3, 0], window) == [ingested[k].id for k in expected]


def test_current_run_counts_even_before_it_is_in_the_channel(metadata_store, ingested):
    """The current Examples are taken from the `current` input, whatever the channel holds."""
    resolved = LatestSpansStrategy(window=2).resolve_artifacts(metadata_store.store, {
        CURRENT_KEY: [ingested[3, 0]],
        EXAMPLES_KEY: [a for a in metadata_store.channel(standard_artifacts.Examples)
                       if a.id != ingested[3, 0].id]})
    assert [a.id for a in resolved[EXAMPLES_KEY]] == [ingested[2, 0].id, ingested[3, 0].id]


def test_a_backfilled_span_replaces_its_older_ingestion(metadata_store, ingested):
    backfill = metadata_store.add(standard_artifacts.Examples, span=2, version=1)
    assert resolve(metadata_store, backfill, 3) == [
        ingested[1, 1].id, backfill.id, ingested[3, 0].id]


def test_examples_without_a_span_are_left_out(metadata_store, ingested):
    metadata_store.add(standard_artifacts.Examples)  # e.g. written by hand, no span recorded
    assert resolve(metadata_store, ingested[3, 0], 10) == [
        ingested[k].id for k in [(0, 0), (1, 1), (2, 0), (3, 0)]]


def test_artifact_span_reads_the_recorded_span(metadata_store, ingested):
    [stored] = metadata_store.store.get_artifacts_by_id([ingested[1, 1].id])
    assert artifact_span(stored) == 1
    assert artifact_span(metadata_store.add(standard_artifacts.Examples).mlmd_artifact) is None
