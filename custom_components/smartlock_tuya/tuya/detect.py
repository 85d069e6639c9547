"""Pick a lock's PIN profile from what the device shows, or say which profiles remain.

A pure function of what is known on first contact: the DPs the lock reports (write-only PIN DPs
never show there), whether it is reached as a gateway sub-device (cid), and, when Tuya Cloud
credentials exist, its category and specification codes. The same DP number means different
things per family, so the evidence is the value's type as well as its number.

Evidence and its sources:
- Zigbee lock via gateway: DP 8 boolean (lock state), DP 10 integer (battery), DP 3 integer
  (temporary-password unlock), DP 47 text if present; make-all/tuya-local
  `devices/intelbras_IFR7000_lock.yaml`. Codes `password_creat`/`password_delete` for DP 24/25:
  EDIT-Aeterna/tuya-zigbee-lock-local `zigbee2mqtt/kagel_lock.js` (vendor schema codes).
- Lock Pro: DP 47 boolean (lock state), DP 55 integer (temporary-password unlock), DP 8 integer
  (battery): TuyaInc/tuya_ble_lock_sdk_bk3431q_with_fitting `lock_dp_parser.h` and tuya-local
  `devices/orion_dl033ha_lock.yaml`, `hornbill_y4_smart_lock.yaml`; category `jtmspro`:
  frankhommers/ha-tuya-ble-access `device_profiles/ba2qk177.json`.
- Access-control panel: category `mk` (Tuya's category code for access control); text DPs 1/11/16
  and codes `tmp_passwd_create`/`tmp_passwd_delete`: tuya-local
  `devices/sboardiii_weigand_lock.yaml` (its DP names; that they are also the cloud codes is ours).
  `unlock_method_create` names no family: the Zigbee lock (DP 54, EDIT-Aeterna `kagel_lock.js`),
  the Lock Pro (DP 1, Tuya's BLE lock demo) and the panel (DP 1) all have it.
- Specification codes come from Tuya's "Get Device Specification Attribute" (`GET /v1.1/devices/
  {id}/specifications`); the Zigbee codes `password_creat`/`password_delete`/`password_update`
  are quoted from a TY0A01 lock's thing model in make-all/tuya-local issue #2735, the Lock Pro
  codes `temporary_password_creat`/`_delete`/`_modify` (DP 51-53) in issues #3199 and #3834. A
  category that names no family (`ms` covers Zigbee and Wi-Fi residential locks alike) leaves
  the decision to the codes.
- Wi-Fi residential lock (category `ms`): DP 3 integer (temporary-password unlock) without a
  boolean DP 8 (DP 8 is an alarm there, battery is DP 12); tuya-local `smardeer_lock33.yaml`,
  `tediton_k7_doorlock.yaml`, `novadigital_sl06_lock.yaml`. Its temporary passwords live in Tuya
  Cloud (Tuya's Wi-Fi lock password flow), so it has no LAN profile: the Cloud backend serves it.
- A BLE Lock Pro behind a gateway is a sub-device too, so a cid alone does not mean Zigbee.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

ZIGBEE: Final = "zigbee_gateway"
LOCK_PRO: Final = "lock_pro"
ACCESS_CONTROL: Final = "access_control"
CLOUD_WIFI: Final = "cloud_wifi"

FAMILY_PROFILES: Final[dict[str, tuple[str, ...]]] = {
    # The captured 27-byte layout first: it is what real firmware was seen sending.
    ZIGBEE: ("zigbee_gateway_27", "zigbee_gateway_21"),
    LOCK_PRO: ("lock_pro_dp51",),
    ACCESS_CONTROL: ("mk_access_control",),
    # Wi-Fi residential locks keep temporary passwords in Tuya Cloud: no LAN profile.
    CLOUD_WIFI: (),
}
CATEGORY_FAMILY: Final[dict[str, str]] = {"jtmspro": LOCK_PRO, "mk": ACCESS_CONTROL}
CODE_FAMILY: Final[dict[str, str]] = {
    # Zigbee temporary passwords (DP 24/25/26): tuya-local issue #2735 (a TY0A01 thing model).
    "password_creat": ZIGBEE,
    "password_delete": ZIGBEE,
    "password_update": ZIGBEE,
    # Lock Pro temporary passwords (DP 51/52/53): tuya-local issues #3199 and #3834.
    "temporary_password_creat": LOCK_PRO,
    "temporary_password_delete": LOCK_PRO,
    "temporary_password_modify": LOCK_PRO,
    # Access-control panels (DP 5/6): tuya-local `sboardiii_weigand_lock.yaml` names (ours).
    "tmp_passwd_create": ACCESS_CONTROL,
    "tmp_passwd_delete": ACCESS_CONTROL,
}


@dataclass(frozen=True, kw_only=True)
class Detection:
    """The chosen profile, or the candidates a person must choose from, and why."""

    profile: str | None
    candidates: tuple[str, ...]
    family: str | None
    reason: str

    @property
    def decided(self) -> bool:
        """Whether the flow can take the profile without asking."""
        return self.profile is not None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def dp_families(dps: Mapping[str, object]) -> set[str]:
    """The families whose DP shapes the reported values match."""
    found: set[str] = set()
    if isinstance(dps.get("47"), bool) or _is_int(dps.get("55")) or _is_int(dps.get("8")):
        found.add(LOCK_PRO)
    if isinstance(dps.get("8"), bool):
        found.add(ZIGBEE)
    elif _is_int(dps.get("3")) and not found:
        found.add(CLOUD_WIFI)
    if isinstance(dps.get("16"), str) or (
        isinstance(dps.get("1"), str) and isinstance(dps.get("11"), str)
    ):
        found.add(ACCESS_CONTROL)
    return found


def detect_profile(
    *,
    dps: Mapping[str, object] | None = None,
    subdevice: bool = False,
    category: str | None = None,
    codes: Iterable[str] = (),
    known: Iterable[str] | None = None,
) -> Detection:
    """The profile the evidence points to, or an undecided result listing the candidates.

    Cloud facts (category, then specification codes) outrank the reported DPs, which may be
    few. `known` limits the answer to profiles that exist (e.g. the loaded ones).
    """
    allowed = None if known is None else set(known)

    def profiles_of(*families: str) -> tuple[str, ...]:
        found = (p for family in families for p in FAMILY_PROFILES[family])
        return tuple(p for p in found if allowed is None or p in allowed)

    by_category = CATEGORY_FAMILY.get(category or "")
    by_codes = {CODE_FAMILY[code] for code in codes if code in CODE_FAMILY}
    if by_category:
        families, why = {by_category}, f"its Tuya Cloud category ({category})"
    elif by_codes:
        families, why = by_codes, "its Tuya Cloud specification codes"
    else:
        families = dp_families({str(key): value for key, value in (dps or {}).items()})
        why = "the data points it reports"
    if not families:
        pool = (ZIGBEE, LOCK_PRO) if subdevice else (ZIGBEE, LOCK_PRO, ACCESS_CONTROL)
        return Detection(
            profile=None,
            candidates=profiles_of(*pool),
            family=None,
            reason="nothing it shows names its lock family",
        )
    if len(families) > 1:
        return Detection(
            profile=None,
            candidates=profiles_of(*sorted(families)),
            family=None,
            reason=f"{why} fit more than one lock family",
        )
    family = families.pop()
    candidates = profiles_of(family)
    if family == ZIGBEE and not subdevice:
        reason = (
            "it looks like a Zigbee lock, which is reached only through its gateway: "
            "add it with the gateway and the lock's node id"
        )
    elif family == CLOUD_WIFI:
        reason = (
            f"{why} match a Wi-Fi lock whose temporary passwords live in Tuya Cloud: "
            "use the Cloud backend"
        )
    elif len(candidates) == 1:
        return Detection(
            profile=candidates[0], candidates=candidates, family=family, reason=f"{why} match"
        )
    elif candidates:
        reason = (
            f"{why} match this family, but which password layout its firmware speaks "
            "cannot be seen before a PIN is written"
        )
    else:
        reason = f"{why} match a family whose profiles are not loaded"
    return Detection(profile=None, candidates=candidates, family=family, reason=reason)
