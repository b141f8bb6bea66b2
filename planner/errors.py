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


class Conflict(PlannerError):
    """What an action was computed from has changed since (another window, the command line): the
    action was refused and nothing changed. The message says what changed and what to do."""


class Stale(Conflict):
    """Raised by the store when the record an action expects is not what is stored now; `current`
    is what is stored (None when it is gone). The core turns it into a Conflict worded for the user."""

    def __init__(self, message: str = "changed since", current: object = None) -> None:
        super().__init__(message)
        self.current = current
