"""Auto-detection: each family from what it shows on first contact, or an honest "choose"."""

from __future__ import annotations

import pytest

from custom_components.smartlock_tuya.tuya.cloud_rules import read_specification
from custom_components.smartlock_tuya.tuya.detect import (
    FAMILY_PROFILES,
    Detection,
    detect_profile,
    dp_families,
)
from custom_components.smartlock_tuya.tuya.errors import LockRejectedError
from custom_components.smartlock_tuya.tuya.profiles import load_profiles

# What each family reports on a status query (shapes from tuya-local's device files).
IFR7000_DPS = {"8": False, "10": 87, "47": "AQ==", "57": False}
LOCK_PRO_DPS = {"8": 64, "47": False, "12": 0}
PANEL_DPS = {"1": "", "11": "", "16": "", "30": True}


def test_every_family_profile_exists() -> None:
    """Detection only ever names shipped profiles."""
    shipped = set(load_profiles())
    assert {p for ids in FAMILY_PROFILES.values() for p in ids} == shipped
    assert FAMILY_PROFILES["cloud_wifi"] == ()


def test_zigbee_sub_device_is_the_zigbee_family_with_both_layouts() -> None:
    """The family is certain; the firmware's layout is not, so the flow asks (27 first)."""
    found = detect_profile(dps=IFR7000_DPS, subdevice=True)
    assert not found.decided
    assert found.family == "zigbee_gateway"
    assert found.candidates == ("zigbee_gateway_27", "zigbee_gateway_21")
    assert "layout" in found.reason
    only_27 = detect_profile(dps=IFR7000_DPS, subdevice=True, known=["zigbee_gateway_27"])
    assert only_27 == Detection(
        profile="zigbee_gateway_27",
        candidates=("zigbee_gateway_27",),
        family="zigbee_gateway",
        reason="the data points it reports match",
    )


def test_zigbee_shape_without_a_gateway_is_not_accepted() -> None:
    """A Zigbee lock answers only through its gateway: say so rather than pick."""
    found = detect_profile(dps={"8": True, "10": 50})
    assert not found.decided
    assert found.family == "zigbee_gateway"
    assert "gateway" in found.reason


def test_lock_pro_from_its_dps() -> None:
    """DP 47 boolean state and DP 8 integer battery: a Lock Pro, even behind a BLE gateway."""
    for subdevice in (False, True):
        found = detect_profile(dps=LOCK_PRO_DPS, subdevice=subdevice)
        assert found.profile == "lock_pro_dp51"
        assert found.decided
    assert detect_profile(dps={"55": 3}).profile == "lock_pro_dp51"


def test_lock_pro_from_cloud_category() -> None:
    """The cloud category outranks a sparse DP report."""
    found = detect_profile(dps={}, category="jtmspro")
    assert found.profile == "lock_pro_dp51"
    assert "jtmspro" in found.reason


def test_access_control_panel() -> None:
    """Category mk, its specification codes, or its text DPs; the profile is unverified."""
    assert detect_profile(category="mk").profile == "mk_access_control"
    assert detect_profile(codes=["tmp_passwd_create"]).profile == "mk_access_control"
    assert detect_profile(dps=PANEL_DPS).profile == "mk_access_control"
    assert not load_profiles()["mk_access_control"].verified


def test_zigbee_from_specification_codes() -> None:
    """Zigbee password codes decide the family over confusing DPs."""
    found = detect_profile(dps=LOCK_PRO_DPS, subdevice=True, codes=["password_creat"])
    assert found.family == "zigbee_gateway"
    assert found.candidates == FAMILY_PROFILES["zigbee_gateway"]


def test_conflicting_evidence_lists_both_families() -> None:
    """Boolean DP 47 with boolean DP 8 fits two families: ask."""
    found = detect_profile(dps={"47": True, "8": True}, subdevice=True)
    assert not found.decided
    assert found.family is None
    assert set(found.candidates) == {"lock_pro_dp51", "zigbee_gateway_27", "zigbee_gateway_21"}
    assert "more than one" in found.reason


@pytest.mark.parametrize(
    ("subdevice", "expected"),
    [
        (True, ("zigbee_gateway_27", "zigbee_gateway_21", "lock_pro_dp51")),
        (
            False,
            ("zigbee_gateway_27", "zigbee_gateway_21", "lock_pro_dp51", "mk_access_control"),
        ),
    ],
)
def test_nothing_known(subdevice: bool, expected: tuple[str, ...]) -> None:
    """With nothing to go on, every family that could be reached this way is a candidate."""
    found = detect_profile(subdevice=subdevice, category="unknown", codes=["switch_1"])
    assert found == Detection(
        profile=None,
        candidates=expected,
        family=None,
        reason="nothing it shows names its lock family",
    )


def test_wifi_residential_lock_goes_to_the_cloud() -> None:
    """DP 3 temporary unlock with an alarm on DP 8: a Wi-Fi lock whose PINs live in Tuya Cloud."""
    found = detect_profile(dps={"1": 0, "3": 0, "8": "", "12": 80})
    assert found == Detection(
        profile=None,
        candidates=(),
        family="cloud_wifi",
        reason=(
            "the data points it reports match a Wi-Fi lock whose temporary passwords live in "
            "Tuya Cloud: use the Cloud backend"
        ),
    )


def test_family_whose_profiles_are_not_loaded() -> None:
    """A user who replaced the profiles gets no phantom candidate."""
    found = detect_profile(dps=LOCK_PRO_DPS, known=["zigbee_gateway_27"])
    assert found.candidates == ()
    assert not found.decided
    assert "not loaded" in found.reason


def test_dp_shapes() -> None:
    """The same DP number means different things per family: its type decides."""
    assert dp_families({"8": True}) == {"zigbee_gateway"}
    assert dp_families({"8": 40}) == {"lock_pro"}
    assert dp_families({"3": 997}) == {"cloud_wifi"}
    assert dp_families({"3": 997, "8": True}) == {"zigbee_gateway"}
    assert dp_families({"47": "raw"}) == set()
    assert dp_families({"1": "", "11": ""}) == {"access_control"}
    assert dp_families({"8": None, "10": True}) == set()


def test_unlock_method_create_names_no_family() -> None:
    """Zigbee (DP 54), Lock Pro (DP 1) and panels (DP 1) all have it: it decides nothing.

    Regression: it used to mean "access-control panel", so a Lock Pro's specification
    (`unlock_method_create` beside `temporary_password_creat`) fitted two families.
    """
    lock_pro_spec = ["unlock_method_create", "temporary_password_creat", "lock_motor_state"]
    assert detect_profile(codes=lock_pro_spec).profile == "lock_pro_dp51"
    zigbee_spec = ["unlock_method_create", "password_creat", "open_close"]
    found = detect_profile(codes=zigbee_spec, subdevice=True)
    assert found.family == "zigbee_gateway"
    assert detect_profile(codes=["unlock_method_create"]).family is None


def test_unhelpful_category_leaves_it_to_the_codes() -> None:
    """Category `ms` covers Zigbee and Wi-Fi residential locks alike: the codes decide."""
    found = detect_profile(
        dps=LOCK_PRO_DPS, subdevice=True, category="ms", codes=["password_creat"]
    )
    assert found.family == "zigbee_gateway"
    assert "specification codes" in found.reason
    assert detect_profile(dps=LOCK_PRO_DPS, category="ms").profile == "lock_pro_dp51"


@pytest.mark.parametrize(
    ("result", "category", "codes"),
    [
        (
            {
                "category": "jtmspro",
                "functions": [{"code": "temporary_password_creat", "dp_id": 51}, {"code": 7}],
                "status": [
                    {"code": "lock_motor_state"},
                    "junk",
                    {"code": "temporary_password_creat"},
                ],
            },
            "jtmspro",
            ("temporary_password_creat", "lock_motor_state"),
        ),
        ({"functions": None}, "", ()),
    ],
)
def test_read_specification(result: object, category: str, codes: tuple[str, ...]) -> None:
    """Codes of functions then status, each once; odd entries are skipped."""
    spec = read_specification(result)
    assert (spec.category, spec.codes) == (category, codes)


def test_specification_of_another_shape_is_refused() -> None:
    """A result that is not an object is Tuya answering something else."""
    with pytest.raises(LockRejectedError):
        read_specification(["not", "a", "spec"])
