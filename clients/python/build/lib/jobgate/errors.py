"""Typed API errors: every non-2xx answer becomes an ApiError with the registry code."""


class ApiError(Exception):
    """A Jobgate error answer. `status` is 0 when the server could not be reached."""

    def __init__(self, status, code, message, details=None, retry_after=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        # Seconds, from Retry-After on 429 and 503 answers.
        self.retry_after = retry_after


def is_not_found(error):
    return isinstance(error, ApiError) and error.status == 404


def is_conflict(error):
    return isinstance(error, ApiError) and error.status == 409


def is_rate_limited(error):
    return isinstance(error, ApiError) and error.status == 429


def is_unavailable(error):
    """The server is away or refused for now (network, 503): worth retrying later."""
    return isinstance(error, ApiError) and error.status in (0, 503)
