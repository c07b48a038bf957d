"""Driver of the ingestion component: TFX's file-based ExampleGen driver, which resolves the
newest `{SPAN}` (and `{VERSION}`) an input pattern matches before the executor runs, with a
pattern that matches no span reported as the user's data error (`NoInputFilesError`) instead
of TFX's bare `ValueError`."""

from __future__ import annotations

import posixpath
import re
from typing import Any, Dict, Optional

from tfx.components.example_gen import driver
from tfx.types import standard_component_specs

from components.ingest.executor import NoInputFilesError

# TFX's message when no file matches a split pattern with a span or version placeholder
_NO_SPAN_MATCH = re.compile(r"^Cannot find matching for split (?P<split>\S+) based on "
                            r"(?P<pattern>.*)$", re.DOTALL)


def no_span_match_error(tfx_message: str, data_root: str) -> Optional[NoInputFilesError]:
    """The data error for TFX's "Cannot find matching for split ..." message, naming the pattern
    and the data root; None for any other message."""
    match = _NO_SPAN_MATCH.match(tfx_message)
    if match is None:
        return None
    pattern = match["pattern"]
    placeholders = " and ".join(name for name in ("{SPAN}", "{VERSION}") if name in pattern)
    return NoInputFilesError(
        f"input pattern {pattern!r} matches no file under data root {data_root} "
        f"({placeholders} standing for a number: expected files such as "
        f"{posixpath.join(data_root, pattern.replace('{SPAN}', '0').replace('{VERSION}', '0'))})")


class SpanResolvingDriver(driver.FileBasedDriver):
    """TFX's file-based driver; a span pattern that matches no file is a `NoInputFilesError`."""

    def resolve_exec_properties(self, exec_properties: Dict[str, Any], pipeline_info,
                                component_info) -> Dict[str, Any]:
        data_root = exec_properties.get(standard_component_specs.INPUT_BASE_KEY, "")
        try:
            return super().resolve_exec_properties(exec_properties, pipeline_info,
                                                   component_info)
        except ValueError as err:
            error = no_span_match_error(str(err), data_root)
            if error is None:
                raise
            raise error from None
