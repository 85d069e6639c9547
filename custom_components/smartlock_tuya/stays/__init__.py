"""Client for the Stays External API, free of Home Assistant so it can stand alone."""

from .client import StaysClient, account_host, api_root
from .errors import (
    StaysAuthError,
    StaysConnectionError,
    StaysError,
    StaysNotFoundError,
    StaysRateLimitError,
    StaysResponseError,
)
from .models import (
    GUEST_TYPES,
    Batch,
    BookingSettings,
    Client,
    DateType,
    Guest,
    Listing,
    Reservation,
    ReservationType,
    StaysParseError,
)

__all__ = [
    "GUEST_TYPES",
    "Batch",
    "BookingSettings",
    "Client",
    "DateType",
    "Guest",
    "Listing",
    "Reservation",
    "ReservationType",
    "StaysAuthError",
    "StaysClient",
    "StaysConnectionError",
    "StaysError",
    "StaysNotFoundError",
    "StaysParseError",
    "StaysRateLimitError",
    "StaysResponseError",
    "account_host",
    "api_root",
]
