"""The exceptions fairpool raises.

Every error a user can cause by passing bad input is a :class:`FairpoolError`.
Each subclass also derives from the built-in exception a Python user would
expect (``ValueError``, ``KeyError``, ...), so ``except ValueError`` keeps
working. Messages name the argument or column at fault and what was expected.
"""

from __future__ import annotations

__all__ = [
    "FairpoolError",
    "InvalidInputError",
    "EmptyInputError",
    "LengthMismatchError",
    "MissingValueError",
    "NonBinaryLabelError",
    "SingleGroupError",
    "UndefinedMetricError",
    "UnknownColumnError",
    "UnknownNameError",
    "BudgetError",
    "DataIntegrityError",
    "RegistrationError",
    "StrategyCheckError",
    "SessionError",
    "SessionNotFoundError",
    "SessionExistsError",
    "SessionSchemaError",
    "SessionBusyError",
    "LabelFileError",
]


class FairpoolError(Exception):
    """Base class of every error fairpool raises on bad input or state."""


class InvalidInputError(FairpoolError, ValueError):
    """An argument has the wrong type, shape or value."""


class EmptyInputError(InvalidInputError):
    """An array, table or pool that must hold at least one row is empty."""


class LengthMismatchError(InvalidInputError):
    """Arrays that must describe the same rows have different lengths."""


class MissingValueError(InvalidInputError):
    """Labels, predictions or groups contain NaN or None."""


class NonBinaryLabelError(InvalidInputError):
    """A binary metric or learner received labels outside {0, 1}."""


class SingleGroupError(InvalidInputError):
    """A fairness quantity needs at least two groups but got one."""


class UndefinedMetricError(InvalidInputError):
    """A metric is undefined for the given input (e.g. a group with no positives)."""


class UnknownColumnError(FairpoolError, KeyError):
    """A named column does not exist in the table."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownNameError(FairpoolError, KeyError):
    """A registered name (dataset, strategy, learner, ...) does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class BudgetError(InvalidInputError):
    """An active-learning budget or batch size is impossible for the pool."""


class DataIntegrityError(FairpoolError, OSError):
    """A bundled data file is missing or its SHA-256 digest does not match."""


class RegistrationError(FairpoolError, TypeError):
    """A strategy or learner was registered wrongly: a bad name, a clash, or an object
    that is not a strategy class / learner factory (or an entry point that fails to load).
    """


class StrategyCheckError(FairpoolError, AssertionError):
    """A query strategy broke the strategy contract (:mod:`fairpool.active.checks`).

    An ``AssertionError``, so pytest reports it as a failed test. ``check`` names the
    failed check and ``strategy`` the strategy (both also in the message).
    """

    def __init__(self, message: str, *, check: str = "", strategy: str = "") -> None:
        super().__init__(message)
        self.check = check
        self.strategy = strategy


class SessionError(FairpoolError):
    """A labelling session's directory or state does not allow the command
    (:mod:`fairpool.sessions`)."""


class SessionNotFoundError(SessionError, FileNotFoundError):
    """The directory holds no labelling session (or one whose ``init`` never finished)."""


class SessionExistsError(SessionError, FileExistsError):
    """``init`` into a directory that already holds a session or other files."""


class SessionSchemaError(SessionError):
    """The session store was written by a newer or unknown fairpool store schema."""


class SessionBusyError(SessionError):
    """Another process kept the session's store locked past the wait (busy timeout)."""


class LabelFileError(InvalidInputError):
    """A label file cannot be used at all (unreadable, no id or label column).

    Problems of single rows (an unknown id, a label outside the classes, ...) are not
    raised: they are reported row by row with their line numbers and the good rows kept.
    """
