"""A benchmark-only integration that counts what Home Assistant's loop and executor do.

Loaded only by `benchmarks/idle_ha.py` and `benchmarks/scale_ha.py` (linked into their throwaway
configuration as `custom_components/bench_probe`), never shipped. It serves its counters at
`GET /api/bench_probe` (`?reset=1` also starts a new window for the lag and wait extremes).
With `lag_interval_ms` 0 and `executor_probe_s` 0 (the idle benchmark) it adds no timer,
task or thread of its own, so it does not disturb what it counts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .counters import Probe

DOMAIN = "bench_probe"
CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Optional("lag_interval_ms", default=0): vol.Coerce(float),
                vol.Optional("executor_probe_s", default=0): vol.Coerce(float),
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Wrap the loop's counters and serve them."""
    options = config.get(DOMAIN, {})
    probe = Probe(hass.loop)
    probe.install()
    if options.get("lag_interval_ms", 0) > 0:
        probe.start_lag_sampler(options["lag_interval_ms"] / 1000)
        probe.start_stall_watch(options["lag_interval_ms"] / 1000)
    if options.get("executor_probe_s", 0) > 0:
        probe.start_executor_probe(options["executor_probe_s"])

    @callback
    def stop(_event: Event) -> None:
        probe.stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    hass.http.register_view(ProbeView(probe))
    return True


class ProbeView(HomeAssistantView):
    """The probe's counters as JSON, for an authenticated client."""

    url = "/api/bench_probe"
    name = "api:bench_probe"

    def __init__(self, probe: Probe) -> None:
        """Serve `probe`."""
        self._probe = probe

    async def get(self, request: web.Request) -> web.Response:
        """The counters; `?reset=1` starts a new window after reading them."""
        data: dict[str, Any] = self._probe.snapshot()
        if request.query.get("reset"):
            self._probe.reset_window()
        return self.json(data)
