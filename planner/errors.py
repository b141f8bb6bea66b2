"""Errors a user can meet, each carrying a one-line message fit to show as is.

The CLI maps `BadInput` to exit code 2 and every other `PlannerError` to exit code 1; the UI shows
the message in a notification. Anything else is a bug and may show a traceback.
"""


class PlannerError(Exception):
    """A problem the user can understand and act on; `str(error)` is the one-line message."""

    exit_code = 1


class BadInput(PlannerError):
    """The user typed something we cannot use (unknown id, bucket, date, number…). Nothing changed."""

    exit_code = 2


class NotFound(BadInput):
    """No opportunity (or other record) with that id."""


class DatabaseProblem(PlannerError):
    """The database cannot be used as it is: corrupt, not a database, locked, read-only, full, or
    made by a newer version. The message says which and what to do; the file is left untouched."""
