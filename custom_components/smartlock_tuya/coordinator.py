"""Polls a Stays account and keeps the last good view of its listings and reservations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    BOOKING_SETTINGS_MAX_AGE,
    CONF_DEFAULT_CHECK_IN,
    CONF_DEFAULT_CHECK_OUT,
    CONF_POLL_INTERVAL,
    CONF_TIME_ZONE,
    DEFAULT_CHECK_IN,
    DEFAULT_CHECK_OUT,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    LOGGER,
    WINDOW_DAYS_AHEAD,
    WINDOW_DAYS_BACK,
)
from .stays import (
    BookingSettings,
    DateType,
    Listing,
    Reservation,
    StaysAuthError,
    StaysClient,
    StaysConnectionError,
    StaysError,
    StaysRateLimitError,
)
from .stays.models import parse_time
from .timing import StayClock

if TYPE_CHECKING:
    from .lifecycle import CredentialManager
    from .lock_coordinator import LockRuntime

type SmartLockConfigEntry = ConfigEntry[SmartLockRuntimeData]


@dataclass(kw_only=True)
class SmartLockRuntimeData:
    """What setup builds for one Stays account: its client, its poller and its locks."""

    client: StaysClient
    coordinator: StaysCoordinator
    locks: dict[str, LockRuntime] = field(default_factory=dict)
    manager: CredentialManager | None = None


@dataclass(frozen=True, kw_only=True)
class StaysData:
    """One consistent view of the account.

    `complete` is false when Stays sent records that could not be read and could not be named:
    a reservation missing from an incomplete view may still exist, so nothing may be revoked
    on its account. A reservation record that was unreadable but named its id is in `unknown`
    instead: only that reservation is uncertain, and the rest of the view stays complete.
    """

    listings: dict[str, Listing]
    reservations: dict[str, Reservation]
    booking_settings: dict[str, BookingSettings] = field(default_factory=dict)
    complete: bool = True
    unknown: frozenset[str] = frozenset()
    fetched_at: datetime

    def listing_reservations(self, listing_id: str) -> list[Reservation]:
        """The listing's reservations in order of arrival."""
        return sorted(
            (r for r in self.reservations.values() if r.listing_id == listing_id),
            key=lambda r: (r.check_in_date, r.id),
        )


class StaysCoordinator(DataUpdateCoordinator[StaysData]):
    """Fetches listings and the rolling window of reservations every poll interval.

    A failed poll raises `UpdateFailed`, which keeps the previous data in place (fail closed)
    while the entities show as unavailable; the base class logs the outage and the recovery once.
    """

    config_entry: SmartLockConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartLockConfigEntry,
        client: StaysClient,
        clock: StayClock,
    ) -> None:
        """Poll at the interval the user chose."""
        minutes = entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(minutes=minutes),
        )
        self.client = client
        self.host = entry.unique_id or entry.entry_id
        self.clock = clock
        self._settings: dict[str, BookingSettings] = {}
        self._settings_fetched: datetime | None = None

    async def _async_update_data(self) -> StaysData:
        try:
            return await self._fetch()
        except StaysAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except StaysRateLimitError as err:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="rate_limited") from err
        except StaysConnectionError as err:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="cannot_connect") from err
        except StaysError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bad_response",
                translation_placeholders={"error": str(err)},
            ) from err

    async def _fetch(self) -> StaysData:
        today = dt_util.now().date()
        listings = await self.client.listings()
        arriving = await self.client.reservations(
            today - timedelta(days=WINDOW_DAYS_BACK),
            today + timedelta(days=WINDOW_DAYS_AHEAD),
            date_type=DateType.ARRIVAL,
        )
        # Long stays that began before the window are still in the house.
        in_house = await self.client.reservations(today, today, date_type=DateType.INCLUDED)
        reservations = {r.id: r for r in (*arriving.items, *in_house.items)}
        unknown = frozenset((*arriving.skipped_ids, *in_house.skipped_ids)) - reservations.keys()
        await self._refresh_settings(listings.items)
        return StaysData(
            listings={listing.id: listing for listing in listings.items},
            reservations=reservations,
            booking_settings=dict(self._settings),
            # A listing that cannot be read could hide any lock's mapping: fail closed.
            complete=listings.complete
            and arriving.complete_but_named
            and in_house.complete_but_named,
            unknown=unknown,
            fetched_at=dt_util.utcnow(),
        )

    async def _refresh_settings(self, listings: list[Listing]) -> None:
        """Refresh listings' check-in/out times when stale or when a listing is new.

        Missing settings only mean the configured default times apply, so a failure here is
        logged and does not fail the poll.
        """
        now = dt_util.utcnow()
        stale = (
            self._settings_fetched is None
            or now - self._settings_fetched > BOOKING_SETTINGS_MAX_AGE
        )
        wanted = [item.id for item in listings if stale or item.id not in self._settings]
        if not wanted:
            return
        for listing_id in wanted:
            try:
                self._settings[listing_id] = await self.client.booking_settings(listing_id)
            except StaysAuthError:
                raise
            except StaysError as err:
                LOGGER.debug("No booking settings for listing %s: %s", listing_id, err)
        if stale:
            self._settings_fetched = now


def empty_stays_data() -> StaysData:
    """What is known when Stays could not be read at start-up: nothing, and not completely."""
    return StaysData(listings={}, reservations={}, complete=False, fetched_at=dt_util.utcnow())


async def async_stay_clock(hass: HomeAssistant, entry: SmartLockConfigEntry) -> StayClock:
    """The zone and default times of the options; the options flow validated them."""
    zone = await dt_util.async_get_time_zone(
        entry.options.get(CONF_TIME_ZONE) or hass.config.time_zone
    )
    check_in = parse_time(entry.options.get(CONF_DEFAULT_CHECK_IN, DEFAULT_CHECK_IN))
    check_out = parse_time(entry.options.get(CONF_DEFAULT_CHECK_OUT, DEFAULT_CHECK_OUT))
    return StayClock(
        time_zone=zone or dt_util.get_default_time_zone(),
        default_check_in=check_in or time.fromisoformat(DEFAULT_CHECK_IN),
        default_check_out=check_out or time.fromisoformat(DEFAULT_CHECK_OUT),
    )
