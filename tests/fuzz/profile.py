"""One hypothesis settings profile for every fuzzer, and the strategies they share.

CI runs each fuzzer on 200 derandomised examples (the same ones every run, so a finding is
reproducible); `SMARTLOCK_FUZZ_LONG=1` runs 10,000 fresh examples each.
"""

from __future__ import annotations

import json
import os
from typing import Any, Final

from hypothesis import HealthCheck, Phase, settings, strategies as st

LONG: Final = os.environ.get("SMARTLOCK_FUZZ_LONG") == "1"

FUZZ: Final = settings(
    max_examples=10_000 if LONG else 200,
    derandomize=not LONG,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

#: For a fuzzer that finds a known bug in someone else's module: finding it is enough, shrinking
#: it again each run costs half a minute.
UNSHRUNK: Final = settings(FUZZ, phases=[Phase.explicit, Phase.generate])


#: Numbers JSON can carry, Python's `json` included (it reads NaN and Infinity).
numbers: Final = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, -1, 2**31, 2**32, 2**63, 2**64, 10**300])
    | st.floats(allow_nan=True, allow_infinity=True)
)
scalars: Final = st.none() | st.booleans() | numbers | st.text(max_size=40)
#: Any JSON document.
json_values: Final = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
#: Dates as Stays writes them, and the ways they go wrong.
date_texts: Final = (
    st.dates().map(lambda day: day.isoformat())
    | st.datetimes().map(lambda moment: moment.isoformat())
    | st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-03-10T25:00", ""])
    | st.text(max_size=24)
)
time_texts: Final = (
    st.times().map(lambda moment: moment.isoformat(timespec="minutes"))
    | st.sampled_from(
        ["24:00", "23:60", "7:5", "\u00b2:30", "\uff11\uff12:\uff13\uff10", "12:30:99", ":"]
    )
    | st.text(max_size=10)
)


def anything_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's plausible values, or any JSON at all."""
    return strategy | json_values


def as_json(value: Any) -> bytes:
    """Serialised as Python's json does (NaN and Infinity included)."""
    return json.dumps(value).encode()
