"""Errors about the user's data that stop a run (their message is what the user reads), the one
line of a TensorFlow error that says what went wrong, and the hint for a CSV file whose header
reads as one column (it is separated by something other than commas)."""

import re
from typing import Sequence


class DataError(Exception):
    """Input data that cannot be used as it is: the message says what and where."""


def tf_error_text(error: Exception) -> str:
    """The line of a TensorFlow error that says what went wrong, without its op decorations:
    an eager op's first line minus `{{...}}` and `[Op:...]`; in a function's error ("Graph
    execution error:", a stack, then the message), the line before the failing node's `[[...]]`.
    """
    lines = (getattr(error, "message", None) or str(error)).strip().splitlines()
    text = next((line for line, following in zip(lines, lines[1:])
                 if following.lstrip().startswith("[[") and line.strip()), lines[0] if lines
                else type(error).__name__)
    text = re.sub(r"^\{\{[^}]*\}\}\s*|\s*\[Op:.*$", "", text.strip())
    return text.removeprefix("Name: <unknown>, ")


def separator_hint(header: Sequence[str]) -> str:
    """When a one-column header holds another separator: the file is likely not comma-separated
    (scikit-learn's linnerud files are space-separated), which the message then says."""
    names = {";": "semicolon", "\t": "tab", "|": "bar", " ": "space"}
    found = [name for sep, name in names.items() if len(header) == 1 and sep in header[0].strip()]
    return (f"; the header is one column holding {found[0]}s: the file looks {found[0]}-"
            "separated, and CSV files here are comma-separated" if found else "")
