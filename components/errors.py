"""Errors about the user's data that stop a run (their message is what the user reads), and the
one line of a TensorFlow error that says what went wrong."""

import re


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
