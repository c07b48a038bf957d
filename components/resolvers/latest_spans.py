"""Resolver strategy: the ingested Examples of the newest K spans (a rolling training window).

ExampleGen records each artifact's span as a custom property. The strategy keeps, per span, the
newest artifact, and returns those of the K highest spans, the current run's included (it reads
the current ExampleGen output, so it runs after ingestion).
"""

from __future__ import annotations

from typing import Dict, List, Optional

from tfx import types
from tfx.dsl.components.common import resolver

CURRENT_KEY = "current"
EXAMPLES_KEY = "examples"
SPAN = "span"


def artifact_span(artifact) -> Optional[int]:
    """The span ExampleGen recorded on an Examples artifact (MLMD or TFX artifact)."""
    properties = artifact.custom_properties
    return properties[SPAN].int_value if SPAN in properties else None


def newest_spans(current: List[types.Artifact], candidates: List[types.Artifact],
                 window: int) -> List[types.Artifact]:
    """Per span the newest artifact, for the `window` highest spans, oldest span first."""
    newest: Dict[int, types.Artifact] = {}
    for artifact in list(candidates) + list(current):
        span = artifact_span(artifact.mlmd_artifact)
        if span is not None and (span not in newest or artifact.id > newest[span].id):
            newest[span] = artifact
    return [newest[span] for span in sorted(newest)[-window:]]


class LatestSpansStrategy(resolver.ResolverStrategy):
    """Resolves `examples` to the newest `window` spans' Examples."""

    def __init__(self, window: int):
        self._window = window

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        del store
        return {CURRENT_KEY: input_dict.get(CURRENT_KEY, []),
                EXAMPLES_KEY: newest_spans(input_dict.get(CURRENT_KEY, []),
                                           input_dict.get(EXAMPLES_KEY, []), self._window)}
