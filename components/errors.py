"""Errors about the user's data that stop a run; their message is what the user reads."""


class DataError(Exception):
    """Input data that cannot be used as it is: the message says what and where."""
