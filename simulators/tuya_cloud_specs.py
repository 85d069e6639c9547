"""What the fake Tuya Cloud answers for a lock's specification, per real lock family.

The endpoint is Tuya's "Get Device Specification Attribute", ``GET /v1.1/devices/{device_id}/
specifications`` (developer.tuya.com/en/docs/cloud/f2c0abfbbd?id=Kb26d4cf4wnrd; tinytuya
``Cloud.getdps`` calls the same path): ``{"category", "functions": [...], "status": [...]}``,
each entry ``{"code", "dp_id", "type", "values"}`` with ``values`` as JSON text. Functions are
what can be written, status what the device reports.

Each family's codes and DP ids follow a public source (only the entries our detection reads
and a few neighbours are listed; real devices list more):

- Zigbee lock behind a gateway (category ``ms``): the thing model of a TY0A01 Zigbee lock
  quoted in make-all/tuya-local issue #2735 (``password_creat`` 24, ``password_delete`` 25,
  ``password_update`` 26) and the per-PID schema codes in EDIT-Aeterna/tuya-zigbee-lock-local
  ``zigbee2mqtt/kagel_lock.js`` (``unlock_temporary`` 3, ``residual_electricity`` 10,
  ``unlock_method_create`` 54); DP 8's code ``open_close`` from the same file.
- Wi-Fi/BLE Lock Pro (category ``jtmspro``): the device model quoted in make-all/tuya-local
  issue #3199 (``temporary_password_creat`` 51, ``temporary_password_delete`` 52,
  ``temporary_password_modify`` 53, ``unlock_temporary`` 55) and issue #3834
  (``lock_motor_state`` 47); ``residual_electricity`` on DP 8 and ``unlock_method_create`` on
  DP 1 from Tuya's BLE lock demo (TuyaInc/tuya_ble_lock_sdk_bk3431q_with_fitting
  ``lock_dp_parser.h``) with the codes of Tuya's lock SDK docs (TuyaInc/tuyasmart_home_ios_sdk
  ``en/resource/BLELock.md``).
- Access-control panel (category ``mk``): the DP names of make-all/tuya-local
  ``devices/sboardiii_weigand_lock.yaml`` (1 ``unlock_method_create``, 5 ``tmp_passwd_create``,
  6 ``tmp_passwd_delete``, 16 ``unlock_temp_pwd``). That these names are also the cloud codes
  is ours.
- Wi-Fi residential lock (category ``ms``): tuya-local ``devices/smardeer_lock33.yaml`` (3
  ``unlock_temp_pwd``, 12 battery); no temporary-password DP, as its passwords live in the
  cloud. The codes ``unlock_temporary`` and ``residual_electricity`` are Tuya's lock codes
  (same SDK docs).
"""

from typing import Any, Final

type Entry = tuple[str, int, str]

ZIGBEE_LOCK: Final = "zigbee_lock"
LOCK_PRO: Final = "lock_pro"
ACCESS_CONTROL: Final = "access_control"
WIFI_RESIDENTIAL: Final = "wifi_residential"

#: family -> (category, functions, status); entries are (code, dp id, Tuya type).
SPECIFICATIONS: Final[dict[str, tuple[str, tuple[Entry, ...], tuple[Entry, ...]]]] = {
    ZIGBEE_LOCK: (
        "ms",
        (
            ("password_creat", 24, "Raw"),
            ("password_delete", 25, "Raw"),
            ("password_update", 26, "Raw"),
            ("unlock_method_create", 54, "Raw"),
        ),
        (
            ("unlock_temporary", 3, "Integer"),
            ("open_close", 8, "Boolean"),
            ("residual_electricity", 10, "Integer"),
        ),
    ),
    LOCK_PRO: (
        "jtmspro",
        (
            ("unlock_method_create", 1, "Raw"),
            ("temporary_password_creat", 51, "Raw"),
            ("temporary_password_delete", 52, "Raw"),
            ("temporary_password_modify", 53, "Raw"),
        ),
        (
            ("residual_electricity", 8, "Integer"),
            ("lock_motor_state", 47, "Boolean"),
            ("unlock_temporary", 55, "Integer"),
        ),
    ),
    ACCESS_CONTROL: (
        "mk",
        (
            ("unlock_method_create", 1, "Raw"),
            ("tmp_passwd_create", 5, "Raw"),
            ("tmp_passwd_delete", 6, "Raw"),
        ),
        (("unlock_temp_pwd", 16, "String"),),
    ),
    WIFI_RESIDENTIAL: (
        "ms",
        (),
        (("unlock_temporary", 3, "Integer"), ("residual_electricity", 12, "Integer")),
    ),
}


def specification(family: str, category: str | None = None) -> dict[str, Any]:
    """The answer's ``result`` for a lock of `family` (its category unless one is given)."""
    own, functions, status = SPECIFICATIONS[family]

    def entries(items: tuple[Entry, ...]) -> list[dict[str, Any]]:
        return [
            {"code": code, "dp_id": dp_id, "type": kind, "values": "{}"}
            for code, dp_id, kind in items
        ]

    return {
        "category": own if category is None else category,
        "functions": entries(functions),
        "status": entries(status),
    }
