"""A small, realistic account for the demo: three listings in Brazil and their guests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .account import StaysAccount


async def load_sample_account(sim: StaysAccount, today: date) -> None:
    """Fill ``sim`` with a small, realistic account around ``today`` for the demo."""
    jurere = sim.add_listing(name="Apartamento Beira-Mar Jurerê", short_id="JU01A")["_id"]
    lagoa = sim.add_listing(name="Casa na Lagoa da Conceição", short_id="LG02B")["_id"]
    copa = sim.add_listing(
        name="Studio Copacabana Posto 5",
        short_id="CP03C",
        city="Rio de Janeiro",
        check_in_time="14:00",
    )["_id"]
    # (listing, arrival and departure relative to today, guest, phone, other fields)
    stays: list[tuple[str, int, int, str, str | None, dict[str, Any]]] = [
        (jurere, -2, 1, "Ana Beatriz Souza", "+5548991234567", {}),  # in progress
        (jurere, 1, 5, "Lucas Ferreira", "+5511987654321", {"check_in_time": "17:00"}),
        (lagoa, -5, 0, "Carla Mendes", "+5548999001122", {}),  # leaves today
        (lagoa, 0, 4, "João Pedro Oliveira", "+5521998877665", {"partner": "API booking.com"}),
        (copa, 0, 3, "Mariana Costa Lima", "+5521987001234", {"email": "mari@example.com"}),
        (copa, 4, 7, "Rafael Almeida", "+5531991112233", {}),  # canceled below
        (copa, 8, 12, "Fernanda Rodrigues", None, {"partner": "Website", "guests": 1}),
        (jurere, 10, 14, "Gabriel Santos", "+5541999887766", {"type": "reserved", "guests": 3}),
    ]
    for listing, arrive, leave, guest, phone, extra in stays:
        record = await sim.add_reservation(
            listing_id=listing,
            check_in=today + timedelta(days=arrive),
            check_out=today + timedelta(days=leave),
            guest_name=guest,
            phone=phone,
            created=today - timedelta(days=20),
            **extra,
        )
        if guest == "Rafael Almeida":
            await sim.cancel_reservation(record["_id"])
