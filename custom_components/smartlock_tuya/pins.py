"""Guest PINs a stranger cannot guess and that never clash; pure stdlib, to test on its own."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
import random
import secrets
import string

MIN_LENGTH = 4
MAX_LENGTH = 10
# Blind draws before giving up on luck (with 90% of the space taken, 0.9**1000 ~ 1e-46 to
# miss), then spaces this small are listed, so that "exhausted" is a fact, not a guess.
_RANDOM_TRIES = 1000
_ENUMERABLE = 10**5


class PinSource(StrEnum):
    """Where a guest's PIN comes from; the values are what the integration stores."""

    RANDOM = "random"
    PHONE = "phone"


class PinSpaceExhaustedError(ValueError):
    """No usable PIN of the asked length is left, so the caller must not loop retrying."""


@dataclass(frozen=True)
class GeneratedPin:
    """A PIN and the source used, so a fallback is recorded; no PIN in reprs, which get logged."""

    pin: str = field(repr=False)
    source: PinSource


def is_trivial(pin: str) -> bool:
    """Whether `pin` is among the first a stranger would try at the keypad.

    A PIN is trivial when any of these holds:

    1. every digit is the same: 0000, 111111;
    2. it is an ascending run, each digit one more than the last, 9 wrapping to 0:
       1234, 7890, 890123;
    3. it is a descending run, each digit one less than the last, 0 wrapping to 9:
       4321, 3210, 0987;
    4. it is a block of 1 to len/2 digits repeated to the end: 1212, 3434, 123123, 112112;
    5. it has four digits and reads as a year from 1900 to 2099: 1987, 2024.

    Palindromes such as 1221 or 123321 are not trivial on that account alone.

    Raises ValueError unless `pin` is one or more ASCII digits, the only keypad codes.
    """
    if not (pin.isascii() and pin.isdigit()):
        raise ValueError("a PIN is one or more ASCII digits")
    return (
        len(set(pin)) == 1
        or _is_run(pin, 1)
        or _is_run(pin, -1)
        or _is_repetition(pin)
        or (len(pin) == 4 and pin[:2] in {"19", "20"})
    )


def _is_run(pin: str, step: int) -> bool:
    """Whether each digit is `step` away from the one before, modulo 10."""
    return all((int(b) - int(a)) % 10 == step % 10 for a, b in pairwise(pin))


def _is_repetition(pin: str) -> bool:
    """Whether `pin` is a shorter block repeated a whole number of times."""
    size = len(pin)
    return any(
        size % block == 0 and pin[:block] * (size // block) == pin
        for block in range(1, size // 2 + 1)
    )


def mask(pin: str) -> str:
    """`pin` with every digit hidden, for logs and UI: even one shown digit helps a guesser."""
    return "\u2022" * len(pin)


def generate(
    length: int,
    *,
    source: PinSource = PinSource.RANDOM,
    phone: str | None = None,
    taken: Collection[str] = (),
    rng: random.Random | None = None,
) -> GeneratedPin:
    """A fresh PIN of `length` digits that is not trivial and not in `taken`.

    PHONE uses the last `length` digits of `phone`, which guests remember; every character
    but the ASCII digits ('+', spaces, dashes, parentheses...) is ignored. It falls back to
    RANDOM when there is no phone, too few digits, the digits are trivial, or they are taken
    by another PIN live on the lock at the same time. RANDOM draws digits uniformly from
    `rng`, by default the system's cryptographic source since PINs open doors.

    Raises ValueError for a length outside 4..10 and PinSpaceExhaustedError when no free
    PIN is found.
    """
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"PIN length must be {MIN_LENGTH} to {MAX_LENGTH}, not {length}")
    # Locks compare whole codes, so only an equal string clashes.
    clashes = {pin for pin in taken if len(pin) == length}
    if source == PinSource.PHONE and phone is not None:
        tail = "".join(char for char in phone if char in string.digits)[-length:]
        if len(tail) == length and not is_trivial(tail) and tail not in clashes:
            return GeneratedPin(tail, PinSource.PHONE)
    pin = _random_pin(length, clashes, rng or secrets.SystemRandom())
    return GeneratedPin(pin, PinSource.RANDOM)


def _random_pin(length: int, clashes: set[str], rng: random.Random) -> str:
    """A uniformly random free PIN, drawn blindly, else picked from a listing of the free ones.

    Both ways are uniform over the free PINs, and both are bounded: a full space raises.
    """
    for _ in range(_RANDOM_TRIES):
        pin = f"{rng.randrange(10**length):0{length}d}"
        if pin not in clashes and not is_trivial(pin):
            return pin
    if 10**length <= _ENUMERABLE:
        free = [
            pin
            for number in range(10**length)
            if (pin := f"{number:0{length}d}") not in clashes and not is_trivial(pin)
        ]
        if free:
            return rng.choice(free)
    raise PinSpaceExhaustedError(
        f"no free {length}-digit PIN found: {len(clashes)} of that length are taken"
    )
