"""Rules for Stays' side: bookings and their changes, outages and bad records."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import rule

from simulators.stays_server import FaultKind

from .base import OUTAGES, PICK, Base, has_reservations, when
from .world import LISTINGS


class StaysRules(Base):
    """What may happen to the account's reservations in Stays."""

    # -- Stays: the reservations ----------------------------------------------------------

    @when()
    @rule(
        listing=st.sampled_from(sorted(LISTINGS)),
        arrive=st.integers(min_value=-2, max_value=3),
        nights=st.integers(min_value=1, max_value=4),
        webhook=st.booleans(),
    )
    def book(self, listing: str, arrive: int, nights: int, webhook: bool) -> None:
        """A new booking, from two days ago (in the house) to three days ahead."""
        self.count += 1
        reservation_id = f"R{self.count}"
        phone = f"+55119000{self.count:05d}"
        self.world.truth.phones[reservation_id] = phone
        self.reservations.append(reservation_id)
        check_in = self.today + timedelta(days=arrive)
        self.run(
            self._stays_change(
                webhook,
                self.world.stays.add_reservation(
                    listing_id=listing,
                    check_in=check_in,
                    check_out=check_in + timedelta(days=nights),
                    guest_name=f"Guest {self.count}",
                    phone=phone,
                    reservation_id=reservation_id,
                ),
            )
        )

    @when(has_reservations)
    @rule(
        pick=PICK,
        arrive=st.integers(min_value=-2, max_value=4),
        nights=st.integers(min_value=1, max_value=4),
        webhook=st.booleans(),
    )
    def change_dates(self, pick: int, arrive: int, nights: int, webhook: bool) -> None:
        """Earlier, later, longer or shorter."""
        check_in = self.today + timedelta(days=arrive)
        self.run(
            self._stays_change(
                webhook,
                self.world.stays.change_reservation(
                    self.pick(pick),
                    checkInDate=check_in.isoformat(),
                    checkOutDate=(check_in + timedelta(days=nights)).isoformat(),
                ),
            )
        )

    @when(has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def move(self, pick: int, webhook: bool) -> None:
        """The guest is moved to the other listing (served by other locks)."""
        reservation_id = self.pick(pick)
        if reservation_id in self.world.truth.revoked:
            return  # a PIN the user took away stays away; moving it is another question
        record = self.world.stays._find_reservation(reservation_id)
        assert record is not None
        other = next(listing for listing in LISTINGS if listing != record["_idlisting"])
        self.run(
            self._stays_change(
                webhook, self.world.stays.change_reservation(reservation_id, _idlisting=other)
            )
        )

    @when(has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def cancel(self, pick: int, webhook: bool) -> None:
        """The booking is cancelled."""
        self.run(self._stays_change(webhook, self.world.stays.cancel_reservation(self.pick(pick))))

    @when(has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def reactivate(self, pick: int, webhook: bool) -> None:
        """A cancelled booking comes back (or a live one is confirmed again)."""
        self.run(
            self._stays_change(webhook, self.world.stays.reactivate_reservation(self.pick(pick)))
        )

    @when(has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def delete(self, pick: int, webhook: bool) -> None:
        """The booking is deleted outright: Stays answers 404 for it from now on."""
        reservation_id = self.pick(pick)
        self.reservations.remove(reservation_id)
        self.run(self._stays_change(webhook, self.world.stays.delete_reservation(reservation_id)))

    # -- Stays: faults and bad data -------------------------------------------------------

    @when()
    @rule(kind=st.sampled_from(OUTAGES), count=st.integers(min_value=1, max_value=12))
    def stays_outage(self, kind: FaultKind, count: int) -> None:
        """The next requests to Stays fail (4 attempts make one read)."""
        self.world.stays.inject_fault(kind, count=count)

    @when()
    @rule()
    def unreadable_record(self) -> None:
        """Stays lists a record nobody can read: every read is partial until it goes."""
        self.count += 1
        self.world.stays.add_raw_reservation({"_id": f"junk{self.count}", "checkInDate": "soon"})

    @when()
    @rule(listing=st.sampled_from(sorted(LISTINGS)))
    def absurd_record(self, listing: str) -> None:
        """A well-formed reservation checking out on 31 December 9999 (bad data, kept)."""
        self.count += 1
        self.run(
            self.world.stays.add_reservation(
                listing_id=listing,
                check_in=self.today,
                check_out=date(9999, 12, 31),
                guest_name=f"Absurd {self.count}",
                reservation_id=f"A{self.count}",
            )
        )
