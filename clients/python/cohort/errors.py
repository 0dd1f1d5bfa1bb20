"""Cohort's errors, named as W&B names them (docs/errors.md)."""


class Error(Exception):
    """Every error Cohort raises (W&B's ``wandb.Error``). ``code`` is the SDK's error code."""

    def __init__(self, message="", code="UNKNOWN"):
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(Error):
    """A call the run's state does not allow (W&B's ``wandb.errors.UsageError``)."""

    def __init__(self, message="", code="FAILED_PRECONDITION"):
        super().__init__(message, code)


class ConfigError(Error):
    """A config change that would overwrite a value without ``allow_val_change`` (W&B's ``ConfigError``)."""

    def __init__(self, message="", code="INVALID_ARGUMENT"):
        super().__init__(message, code)


class InvalidArgumentError(Error, ValueError):
    """A bad argument the agent's SDK refused; a ``ValueError`` too, as W&B raises."""

    def __init__(self, message="", code="INVALID_ARGUMENT"):
        super().__init__(message, code)


class AgentError(Error):
    """The local agent could not be found, started, or reached."""

    def __init__(self, message="", code="UNAVAILABLE"):
        super().__init__(message, code)


def from_wire(error):
    """The Python exception for an error the agent answered: ``{type, code, message}``."""
    kind = error.get("type")
    message = error.get("message", "")
    code = error.get("code", "UNKNOWN")
    if kind == "TypeError":
        return TypeError(message)
    if kind == "ValueError":
        return ValueError(message)
    if kind == "UsageError":
        return UsageError(message, code)
    if kind == "ConfigError":
        return ConfigError(message, code)
    if code == "INVALID_ARGUMENT":
        return InvalidArgumentError(message, code)
    return Error(message, code)
