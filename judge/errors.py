"""The one exception hierarchy. Every failure a user can fix is a JudgeError; cli.main renders it."""

from __future__ import annotations


class JudgeError(Exception):
    """An error displayed to the user as one line (plus hints); never contains a secret."""

    exit_code = 2

    def __init__(self, message: str, *, hints: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints or []


class InputError(JudgeError):
    """Bad input in a file the user edits. Carries every problem found, each `file:line: field: msg`."""

    def __init__(self, problems: list[str], *, hints: list[str] | None = None) -> None:
        self.problems = problems
        head = problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n" + "\n".join(problems)
        super().__init__(head, hints=hints)


class ConfigError(InputError):
    """judge.toml is missing or invalid."""


class DatasetError(InputError):
    """A dataset file is missing or invalid."""


class RubricError(InputError):
    """A rubric file is missing or invalid."""


class EndpointError(JudgeError):
    """A model endpoint cannot be used (unknown name, missing API key, unreachable)."""


class StoreError(JudgeError):
    """The DuckDB store cannot be opened or written (locked by another process, newer schema)."""


class EngineMissingError(EndpointError):
    """`judge serve` cannot start a server: its engine (vLLM, the embedded llama.cpp) is not installed."""


class ReadOnlySQLError(StoreError):
    """`judge sql` refused a statement that writes (a file, another database, the session) before running it."""


class WorkFailedError(JudgeError):
    """Some work items failed after retries; they are recorded as error rows."""

    exit_code = 1


def problem(file: object, line: int | None, field: str | None, message: str) -> str:
    """Format one problem as `file:line: field: message` (line and field optional)."""
    loc = f"{file}:{line}" if line is not None else f"{file}"
    return f"{loc}: {field}: {message}" if field else f"{loc}: {message}"
