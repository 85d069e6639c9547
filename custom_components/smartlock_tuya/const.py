"""Constants of the SmartLock Tuya integration: names of the public contract and defaults."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "smartlock_tuya"
LOGGER = logging.getLogger(__package__)

# Entry data (the Stays account).
CONF_BASE_URL: Final = "base_url"

# Entry options.
CONF_LEAD_TIME: Final = "lead_time_minutes"
CONF_GRACE: Final = "grace_minutes"
CONF_PIN_LENGTH: Final = "pin_length"
CONF_PIN_SOURCE: Final = "pin_source"
CONF_POLL_INTERVAL: Final = "poll_interval_minutes"
CONF_DEFAULT_CHECK_IN: Final = "default_check_in"
CONF_DEFAULT_CHECK_OUT: Final = "default_check_out"
CONF_TIME_ZONE: Final = "time_zone"
CONF_NOTIFY_SERVICE: Final = "notify_service"
CONF_MESSAGE_TEMPLATE: Final = "message_template"

PIN_SOURCE_RANDOM: Final = "random"
PIN_SOURCE_PHONE: Final = "phone"

DEFAULT_LEAD_TIME: Final = 60
DEFAULT_GRACE: Final = 30
DEFAULT_PIN_LENGTH: Final = 6
DEFAULT_PIN_SOURCE: Final = PIN_SOURCE_RANDOM
DEFAULT_POLL_INTERVAL: Final = 10
DEFAULT_CHECK_IN: Final = "14:00"
DEFAULT_CHECK_OUT: Final = "11:00"

MIN_PIN_LENGTH: Final = 4
MAX_PIN_LENGTH: Final = 10
MAX_BUFFER_MINUTES: Final = 24 * 60

# The rolling window of reservations kept in view.
WINDOW_DAYS_BACK: Final = 3
WINDOW_DAYS_AHEAD: Final = 180
# Listings' own check-in/out times change rarely: refresh them seldom.
BOOKING_SETTINGS_MAX_AGE: Final = timedelta(hours=12)

# Stays client tuning: a config flow answers the user quickly, a poll may back off longer.
FLOW_REQUEST_TIMEOUT: Final = 10.0
FLOW_ATTEMPTS: Final = 2
POLL_REQUEST_TIMEOUT: Final = 30.0
POLL_ATTEMPTS: Final = 4
RETRY_BACKOFF: Final = 1.0

DEFAULT_MESSAGE_TEMPLATES: Final = {
    "en": (
        "Hello {{ guest_name }}! Your door code for {{ listing }} is {{ pin }}. "
        "It works from {{ starts }} to {{ ends }} on: {{ locks }}. Have a good stay!"
    ),
    "pt-BR": (
        "Olá {{ guest_name }}! Sua senha da porta de {{ listing }} é {{ pin }}. "
        "Ela vale de {{ starts }} até {{ ends }} em: {{ locks }}. Boa estadia!"
    ),
}

# Entry data: optional Tuya Cloud credentials, shared by the account's cloud locks.
CONF_CLOUD_REGION: Final = "cloud_region"
CONF_CLOUD_ACCESS_ID: Final = "cloud_access_id"
CONF_CLOUD_ACCESS_SECRET: Final = "cloud_access_secret"  # noqa: S105 - a key name

# Lock subentries.
SUBENTRY_LOCK: Final = "lock"
CONF_NAME: Final = "name"
CONF_DEVICE_ID: Final = "device_id"
CONF_HOST: Final = "host"
CONF_LOCAL_KEY: Final = "local_key"
CONF_PROTOCOL_VERSION: Final = "protocol_version"
CONF_BACKEND: Final = "backend"
CONF_PROFILE: Final = "profile"
CONF_LISTING_IDS: Final = "listing_ids"
CONF_CLOUD_OFFLINE: Final = "cloud_offline_passwords"

BACKEND_AUTO: Final = "auto"
BACKEND_LAN: Final = "lan"
BACKEND_CLOUD: Final = "cloud"
PROTOCOL_VERSIONS: Final = ("auto", "3.3", "3.4", "3.5")
DEFAULT_PROFILE: Final = "zigbee_dp24"

# A user's own PIN profiles, beside configuration.yaml.
PROFILES_FILE: Final = "smartlock_tuya_profiles.json"

# Bus events (public contract): each carries reservation_id, lock_entity_id, credential_id.
EVENT_PIN_CREATED: Final = "smartlock_tuya_pin_created"
EVENT_PIN_REVOKED: Final = "smartlock_tuya_pin_revoked"
EVENT_PIN_FAILED: Final = "smartlock_tuya_pin_failed"
EVENT_GUEST_UNLOCKED: Final = "smartlock_tuya_guest_unlocked"
EVENT_STAFF_UNLOCKED: Final = "smartlock_tuya_staff_unlocked"

# Entry data: the id of the Stays webhook's URL, made at first set-up.
CONF_WEBHOOK_ID: Final = "webhook_id"
