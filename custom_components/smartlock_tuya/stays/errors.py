"""Errors raised by the Stays client, one per way a call can fail."""

from __future__ import annotations


class StaysError(Exception):
    """Base of every error the Stays client raises."""


class StaysAuthError(StaysError):
    """The account rejected the client id and secret (401 or 403)."""


class StaysConnectionError(StaysError):
    """Stays could not be reached, timed out, or kept failing with server errors."""


class StaysRateLimitError(StaysConnectionError):
    """Stays kept answering 429 after the client backed off."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Keep the server's hint so a caller can wait at least that long."""
        super().__init__(message)
        self.retry_after = retry_after


class StaysResponseError(StaysError):
    """Stays answered, but not with what was asked for (4xx, not JSON, wrong shape)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status for callers that tell a 404 from the rest."""
        super().__init__(message)
        self.status = status


class StaysNotFoundError(StaysResponseError):
    """The record asked for does not exist (404)."""
