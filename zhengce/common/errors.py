"""Errors meant for the user: the CLI prints them as one line that names the fix."""


class UserError(Exception):
    """A mistake the user can fix (missing file, wrong mapping, bad parameter).

    The message is one sentence that says what is wrong *and* what to do about it. The CLI
    prints it without a traceback and exits with status 2.
    """


class RecordError(ValueError):
    """One input record cannot be stored; the loader puts it in ``rejects`` with this reason."""
