"""Startup with 500 locks and 20,000 stored credentials: load the store file, then plan once.

Home Assistant's `Store` reads its file with `homeassistant.util.json.load_json` (orjson) in
the executor and hands `data` to `CredentialStore.async_load`, which parses each record with
`storage._credential` / `_stay`. This benchmark writes a file of the store's shape (the
`{"version", "minor_version", "key", "data"}` envelope around `CredentialStore._dump()`'s
output, built with the same `_dump_*` functions), then times those same steps.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
import tempfile
import time
from typing import Any

from homeassistant.util.json import load_json

from custom_components.smartlock_tuya.scheduler import desired_credentials, plan
from custom_components.smartlock_tuya.storage import (
    AUDIT_LIMIT,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    WEBHOOK_LIMIT,
    AuditEntry,
    _dump_credential,
    _dump_stay,
    parse_data,
)

from ._common import GRACE, LEAD, NOW, Report, make_fleet, median, stored_like

LOCKS = 500
CREDENTIALS = 20_000
RUNS = 3


def _document() -> dict[str, Any]:
    """The store file: stays whose credentials number 20,000 (their stays too), full trails."""
    fleet = make_fleet(locks=LOCKS, reservations=CREDENTIALS)
    desired = desired_credentials(fleet.stays, fleet.locks_by_listing, lead=LEAD, grace=GRACE)
    stored = stored_like(desired, NOW)
    credentials = list(stored.values())[:CREDENTIALS]
    reservations = {credential.key.reservation_id for credential in credentials}
    stays = [stay for stay in fleet.stays if stay.reservation_id in reservations]
    audit = [
        vars(AuditEntry(at=NOW.isoformat(), event="pin_created", reservation_id=f"res{n:06d}"))
        for n in range(AUDIT_LIMIT)
    ]
    return {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": "smartlock_tuya.bench",
        "data": {
            "credentials": [_dump_credential(credential) for credential in credentials],
            "stays": [_dump_stay(stay) for stay in stays],
            "stays_complete": True,
            "audit": audit,
            "webhooks": audit[:WEBHOOK_LIMIT],
        },
        "locks_by_listing": fleet.locks_by_listing,
    }


def run() -> Report:
    """Write the file once; time read+parse, record parsing and one plan, three times."""
    report = Report(name="startup")
    document = _document()
    locks_by_listing: dict[str, list[str]] = document.pop("locks_by_listing")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "smartlock_tuya.bench"
        path.write_text(json.dumps(document), encoding="utf-8")
        size = path.stat().st_size
        totals: list[float] = []
        steps: list[tuple[float, float, float]] = []
        for _ in range(RUNS):
            gc.collect()
            started = time.perf_counter()
            raw = load_json(path)
            assert isinstance(raw, dict)
            read = time.perf_counter()
            body = raw["data"]
            assert isinstance(body, dict)
            data = parse_data(body)
            parsed = time.perf_counter()
            desired = desired_credentials(
                data.stays.values(), locks_by_listing, lead=LEAD, grace=GRACE
            )
            actions = plan(desired, data.credentials, NOW, complete=data.stays_complete)
            done = time.perf_counter()
            totals.append(done - started)
            steps.append((read - started, parsed - read, done - parsed))
    best = min(range(RUNS), key=lambda i: totals[i])
    report.add("store file", f"{size / 2**20:.1f} MB", f"{len(data.credentials)} credentials")
    report.add("stays in the file", str(len(data.stays)))
    report.add("read + orjson parse (load_json)", f"{steps[best][0] * 1000:.0f} ms")
    report.add("records -> Credential/Stay (_credential, _stay)", f"{steps[best][1] * 1000:.0f} ms")
    report.add(
        "desired_credentials + plan", f"{steps[best][2] * 1000:.0f} ms", f"{len(actions)} actions"
    )
    report.check(f"total (median of {RUNS})", median(totals) * 1000, 2000, "ms", ".0f")
    report.notes.append(
        "a stand-in for Home Assistant's Store: same envelope, same load_json, same record "
        "parsers; no executor hop or migration call (Store skips it at the current version)"
    )
    return report
