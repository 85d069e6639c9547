"""Guest PINs: the trivial-PIN rules, random and phone sources, fallbacks and exhaustion."""

from __future__ import annotations

import random
import string
import time

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smartlock_tuya.const import (
    MAX_PIN_LENGTH,
    MIN_PIN_LENGTH,
    PIN_SOURCE_PHONE,
    PIN_SOURCE_RANDOM,
)
from custom_components.smartlock_tuya.pins import (
    GeneratedPin,
    PinSource,
    PinSpaceExhaustedError,
    generate,
    is_trivial,
    mask,
)

TRIVIAL = [
    # 1. one digit throughout
    "0000", "1111", "999999", "5555555555",
    # 2. ascending runs, wrapping 9 -> 0
    "1234", "0123", "123456", "7890", "8901", "9012", "890123", "0123456789", "4567890123",
    # 3. descending runs, wrapping 0 -> 9
    "4321", "3210", "0987", "1098", "987654", "9876543210", "2109876543",
    # 4. a shorter block repeated
    "1212", "3434", "0909", "123123", "121212", "112112", "123123123", "8675086750",
    "1122311223",
    # 5. four digits read as a year 1900-2099
    "1900", "1987", "2000", "2024", "2099",
]  # fmt: skip
NOT_TRIVIAL = [
    "1221", "123321", "4554", "8118",  # palindromes alone are allowed
    "1235", "1243", "1357", "9753", "0246",  # almost runs
    "1213", "12312", "121213", "1122",  # almost repetitions
    "1899", "2100", "1800", "0019", "190019",  # almost years
    "5831", "402719", "8061934", "7302581946",
]  # fmt: skip

lengths = st.integers(MIN_PIN_LENGTH, MAX_PIN_LENGTH)
pin_texts = st.text(alphabet=string.digits, min_size=1, max_size=12)


def seeded(seed: int = 0) -> random.Random:
    """A deterministic source of randomness; production uses the system's."""
    return random.Random(seed)  # noqa: S311


class StuckRandom(random.Random):
    """Randomness that always draws the same number, as if the entropy source were broken."""

    def randrange(self, *args: object, **kwargs: object) -> int:
        """Always 0, so every draw is 0000..., a trivial PIN, and misses."""
        return 0


def test_trivial_tables() -> None:
    """One test for both tables: each test pays for the conftest's Home Assistant fixtures."""
    assert [pin for pin in TRIVIAL if not is_trivial(pin)] == []
    assert [pin for pin in NOT_TRIVIAL if is_trivial(pin)] == []


def test_trivial_four_digit_count() -> None:
    """Pins the rules down: 100 repetitions (10 of one digit), 20 runs, 200 years, 2 overlaps."""
    assert sum(is_trivial(f"{n:04d}") for n in range(10**4)) == 100 + 20 + 200 - 2


def test_trivial_refuses_non_pins() -> None:
    for text in ("", "12a4", " 1234", "12-34", "\u0661\u0662\u0663\u0664", "\u00b2"):
        with pytest.raises(ValueError, match="ASCII digits"):
            is_trivial(text)


@given(pin=pin_texts, times=st.integers(2, 5))
def test_repeated_blocks_are_trivial(pin: str, times: int) -> None:
    assert is_trivial(pin * times)


@settings(max_examples=200, deadline=None)
@given(
    length=lengths,
    seed=st.integers(0, 2**32),
    others=st.sets(pin_texts, max_size=20),
    blocked=st.integers(0, 5),
)
def test_random_pin_properties(length: int, seed: int, others: set[str], blocked: int) -> None:
    """Any length, any taken set: right length, digits, not trivial, not taken."""
    taken = set(others)
    # Take the PINs this seed would draw first, so the draws do collide.
    for _ in range(blocked):
        taken.add(generate(length, taken=taken, rng=seeded(seed)).pin)
    result = generate(length, taken=taken, rng=seeded(seed))
    assert result.source is PinSource.RANDOM
    assert len(result.pin) == length
    assert result.pin.isascii()
    assert result.pin.isdigit()
    assert not is_trivial(result.pin)
    assert result.pin not in taken


@settings(deadline=None)
@given(length=lengths, phone=st.text(alphabet=string.digits + "+ -()", max_size=20))
def test_phone_property(length: int, phone: str) -> None:
    """The phone's last digits whenever they are usable, else a random PIN."""
    tail = "".join(c for c in phone if c.isdigit())[-length:]
    usable = len(tail) == length and not is_trivial(tail)
    result = generate(length, source=PinSource.PHONE, phone=phone, rng=seeded())
    assert result.source is (PinSource.PHONE if usable else PinSource.RANDOM)
    if usable:
        assert result.pin == tail
    assert len(result.pin) == length
    assert not is_trivial(result.pin)


def test_phone_last_digits() -> None:
    phone = "+55 (11) 98765-4371"
    for length, expected in ((4, "4371"), (6, "654371"), (10, "1987654371")):
        result = generate(length, source=PinSource.PHONE, phone=phone, taken={"9999"})
        assert result == GeneratedPin(expected, PinSource.PHONE)
        assert generate(length, source=PinSource.PHONE, phone=phone).pin == expected


def test_phone_collides_only_with_equal_strings() -> None:
    """PINs of other lengths, or containing ours, do not block the phone's digits."""
    taken = ["4371", "54371", "7654371", "6543710"]
    assert generate(6, source=PinSource.PHONE, phone="987654371", taken=taken).pin == "654371"


FALLBACKS: dict[str, tuple[str | None, set[str]]] = {
    "no phone": (None, set()),
    "empty": ("", set()),
    "no digits": ("n/a", set()),
    "too few digits": ("(43) 71-5", set()),
    "trivial: one digit": ("+1 (555) 111-1111", set()),
    "trivial: run": ("+55 11 91234-5678", set()),
    "trivial: repetition": ("+55 11 91212-1212", set()),
    "taken": ("+55 11 98765-4371", {"654371"}),
}


def test_phone_falls_back_to_random() -> None:
    for reason, (phone, taken) in FALLBACKS.items():
        result = generate(6, source=PinSource.PHONE, phone=phone, taken=taken, rng=seeded())
        assert result.source is PinSource.RANDOM, reason
        assert len(result.pin) == 6, reason
        assert not is_trivial(result.pin), reason
        assert result.pin not in taken, reason


def test_trivial_phone_four_digits_falls_back() -> None:
    """1987 is a year, so a four-digit PIN does not come from this phone."""
    result = generate(4, source=PinSource.PHONE, phone="+55 11 91234-1987", rng=seeded())
    assert result.source is PinSource.RANDOM


def test_random_source_ignores_phone() -> None:
    result = generate(6, phone="+55 11 98765-4371", rng=seeded())
    assert result.source is PinSource.RANDOM


def test_seeded_is_deterministic_default_is_not() -> None:
    assert generate(8, rng=seeded(7)).pin == generate(8, rng=seeded(7)).pin
    drawn = {generate(8).pin for _ in range(20)}
    assert len(drawn) > 1
    assert all(len(pin) == 8 and not is_trivial(pin) for pin in drawn)


def test_every_digit_in_every_position() -> None:
    """Draws cover the whole alphabet at each position: leading zeros included."""
    rng = seeded(3)
    draws = [generate(4, rng=rng).pin for _ in range(500)]
    for position in range(4):
        assert {pin[position] for pin in draws} == set(string.digits)


def test_length_out_of_range() -> None:
    for length in (-1, 0, 3, 11, 100):
        with pytest.raises(ValueError, match="4 to 10"):
            generate(length)
        with pytest.raises(ValueError, match="4 to 10"):
            generate(length, source=PinSource.PHONE, phone="+55 11 98765-4371")


def test_exhausted_space_raises_quickly() -> None:
    everything = [f"{n:04d}" for n in range(10**4)]
    taken = [pin for pin in everything if not is_trivial(pin)]
    started = time.perf_counter()
    with pytest.raises(PinSpaceExhaustedError, match="no free 4-digit PIN") as caught:
        generate(4, taken=taken, rng=seeded())
    assert time.perf_counter() - started < 2
    assert isinstance(caught.value, ValueError)
    assert not any(pin in str(caught.value) for pin in taken[:50])
    # The phone cannot help either: its digits are taken too.
    with pytest.raises(PinSpaceExhaustedError):
        generate(4, source=PinSource.PHONE, phone="5831", taken=taken)


def test_last_free_pin_is_found() -> None:
    """When blind draws keep missing, the listing still finds the one PIN left."""
    taken = {f"{n:04d}" for n in range(10**4)} - {"5831"}
    assert generate(4, taken=taken, rng=StuckRandom()).pin == "5831"
    assert generate(4, taken=taken, rng=seeded()).pin == "5831"


def test_broken_randomness_cannot_hang() -> None:
    """Beyond the listable lengths, draws that always miss end in an error, not a loop."""
    with pytest.raises(PinSpaceExhaustedError, match="no free 8-digit PIN"):
        generate(8, rng=StuckRandom())


def test_repr_hides_the_pin() -> None:
    result = generate(10, rng=seeded())
    for shown in (repr(result), str(result), f"{result}", f"{result!r}"):
        assert "source" in shown
        assert not any(char.isdigit() for char in shown)


def test_mask() -> None:
    assert mask("5831") == "\u2022\u2022\u2022\u2022"
    assert mask("0123456789") == "\u2022" * 10
    assert not any(char.isdigit() for char in mask("402719"))


def test_sources_match_stored_values() -> None:
    """The enum's values are the option values the integration already stores."""
    assert PinSource.RANDOM.value == PIN_SOURCE_RANDOM
    assert PinSource.PHONE.value == PIN_SOURCE_PHONE
    assert PinSource(PIN_SOURCE_PHONE) is PinSource.PHONE
