"""Resolver strategy: the statistics of the span before the current one, for drift checks.

ExampleGen records a span as a custom property of its Examples; StatisticsGen's output is tied
to those Examples by MLMD lineage. The strategy walks that lineage, so it needs no span property
on the statistics themselves. Its `statistics` input is every ExampleStatistics in the store (a
producer channel would offer only the current run's).
"""

from __future__ import annotations

from typing import Dict, List, Optional

from tfx import types
from tfx.dsl.components.common import resolver

from components.resolvers.latest_spans import artifact_span

EXAMPLES_KEY = "examples"
STATISTICS_KEY = "statistics"
STATISTICS_GEN_TYPE = "StatisticsGen"


def _inputs_of_producers(store, artifact_ids: List[int]) -> Dict[int, List[int]]:
    """Statistics artifact id -> ids of the artifacts its producing StatisticsGen read
    (Transform's pre- and post-transform statistics are left out)."""
    from ml_metadata.proto import metadata_store_pb2

    events = store.get_events_by_artifact_ids(artifact_ids)
    producer = {e.artifact_id: e.execution_id for e in events
                if e.type == metadata_store_pb2.Event.OUTPUT}
    statistics_gens = {e.id for e in store.get_executions_by_id(sorted(set(producer.values())))
                       if e.type.endswith(STATISTICS_GEN_TYPE)}
    producer = {a: e for a, e in producer.items() if e in statistics_gens}
    inputs: Dict[int, List[int]] = {}
    for event in store.get_events_by_execution_ids(sorted(set(producer.values()))):
        if event.type == metadata_store_pb2.Event.INPUT:
            inputs.setdefault(event.execution_id, []).append(event.artifact_id)
    return {stats_id: inputs.get(execution_id, []) for stats_id, execution_id in producer.items()}


def previous_span_statistics(store, current_examples: List[types.Artifact],
                             statistics: List[types.Artifact]) -> List[types.Artifact]:
    """The newest statistics computed on Examples of the highest span below the current one."""
    spans = [artifact_span(a.mlmd_artifact) for a in current_examples]
    if not spans or spans[0] is None or not statistics:
        return []
    current = max(spans)
    read_by = _inputs_of_producers(store, [s.id for s in statistics])
    example_ids = sorted({i for ids in read_by.values() for i in ids})
    span_of = {a.id: artifact_span(a) for a in store.get_artifacts_by_id(example_ids)
               if a.type == "Examples"}
    best = None
    for stats in statistics:
        earlier = [span_of[i] for i in read_by.get(stats.id, [])
                   if span_of.get(i) is not None and span_of[i] < current]
        if earlier and (best is None or (max(earlier), stats.id) > best[0]):
            best = ((max(earlier), stats.id), stats)
    return [best[1]] if best else []


class PreviousSpanStatisticsStrategy(resolver.ResolverStrategy):
    """Resolves `statistics` to those of the span before the one in `examples`."""

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        return {EXAMPLES_KEY: input_dict.get(EXAMPLES_KEY, []),
                STATISTICS_KEY: previous_span_statistics(
                    store, input_dict.get(EXAMPLES_KEY, []), input_dict.get(STATISTICS_KEY, []))}
