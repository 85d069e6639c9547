"""What the probe counts inside Home Assistant: loop wake-ups, timers, executor jobs, loop lag.

Home Assistant offers no counters for these, so the probe wraps three methods of the running
loop on the instance (as Home Assistant's own runner replaces `loop.time` and
`loop.set_default_executor`): the selector's `select` (one blocking call is one wake-up),
`call_at` (every timer; `call_later` goes through it) and the default executor's `submit`.
A timer or job is the integration's when one of its frames is on the stack when it is made,
or when its callback belongs to an object defined in the integration (a coordinator's refresh,
an `async_track_point_in_utc_time` job), because Home Assistant arms some of them after the
integration's code has returned.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
import sys
import threading
import time
from types import FrameType
from typing import Any

#: Integrations whose timers and executor jobs are counted on their own.
WATCHED = "/custom_components/smartlock_tuya/"
WATCHED_MODULE = "custom_components.smartlock_tuya"
STACK_DEPTH = 40
#: A sampler wake-up this late is a stall (issue 11's target: the loop never stalls 20 ms).
STALL = 0.020


def _owner_of_frames(frame: FrameType | None) -> str | None:
    """The watched module nearest the top of the stack, short ("tuya/lan", "lifecycle")."""
    depth = 0
    while frame is not None and depth < STACK_DEPTH:
        filename = frame.f_code.co_filename
        if WATCHED in filename:
            return _short(filename.split(WATCHED, 1)[1])
        frame = frame.f_back
        depth += 1
    return None


def _short(relative: str) -> str:
    """`tuya/lan/connection.py` -> `tuya/lan`, `stays/client.py` -> `stays/client`."""
    parts = relative.removesuffix(".py").removesuffix("/__init__").split("/")
    return "/".join(parts[:2] if parts[0] == "tuya" else parts)


def _owner_of_callback(callback: Callable[..., Any]) -> str | None:
    """The watched module a callback's object comes from (a coordinator, a tracked job)."""
    target: Any = callback
    for _ in range(3):
        owner = getattr(target, "__self__", None)
        if owner is None:
            break
        module = type(owner).__module__
        if module.startswith(WATCHED_MODULE):
            return _short(module.removeprefix(WATCHED_MODULE + ".").replace(".", "/"))
        job = getattr(owner, "job", None) or getattr(owner, "_job", None)
        target = getattr(job, "target", None) if job is not None else None
        if target is None:
            break
    module = getattr(target, "__module__", None) or ""
    if module.startswith(WATCHED_MODULE):
        return _short(module.removeprefix(WATCHED_MODULE + ".").replace(".", "/"))
    return None


class Probe:
    """Counters for one Home Assistant process, read by `snapshot`.

    `reset_window` restarts the per-window samples (loop lag, executor wait).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing is wrapped until `install`."""
        self._loop = loop
        self.wakeups = 0  # select() calls allowed to block
        self.polls = 0  # select(0): the loop had more work ready
        self.timers_created: Counter[str] = Counter()
        self.timers_fired: Counter[str] = Counter()
        self.jobs: Counter[str] = Counter()
        self.lags: list[float] = []
        self.executor_waits: list[float] = []
        self.late: list[tuple[float, float]] = []  # (monotonic end, lateness) of lags >= 20 ms
        self.stalled_in: Counter[str] = Counter()  # stack while the loop was stalled: ms seen
        self._tasks: list[asyncio.Task[None]] = []
        self._tick = time.perf_counter()
        self._stop = threading.Event()

    def install(self) -> None:
        """Wrap the loop's selector, `call_at` and the default executor's `submit`."""
        loop: Any = self._loop
        selector = loop._selector  # noqa: SLF001 - the only place a wake-up can be seen
        select = selector.select

        def counting_select(timeout: float | None = None) -> Any:
            if timeout is None or timeout > 0:
                self.wakeups += 1
            else:
                self.polls += 1
            return select(timeout)

        selector.select = counting_select

        call_at = loop.call_at

        def counting_call_at(
            when: float, callback: Callable[..., Any], *args: Any, context: Any = None
        ) -> asyncio.TimerHandle:
            owner = _owner_of_frames(sys._getframe(1)) or _owner_of_callback(callback)  # noqa: SLF001
            key = owner or "other"
            self.timers_created[key] += 1

            def fire(*fired_args: Any) -> None:
                self.timers_fired[key] += 1
                callback(*fired_args)

            handle: asyncio.TimerHandle = call_at(when, fire, *args, context=context)
            return handle

        loop.call_at = counting_call_at

        executor: Executor = loop._default_executor  # noqa: SLF001 - Home Assistant's executor
        submit = executor.submit

        def counting_submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            owner = _owner_of_frames(sys._getframe(1)) or _owner_of_callback(fn)  # noqa: SLF001
            self.jobs[owner or "other"] += 1
            return submit(fn, *args, **kwargs)

        executor.submit = counting_submit  # type: ignore[method-assign]

    def start_lag_sampler(self, interval: float) -> None:
        """Sleep `interval` over and over and keep how late each wake-up came."""

        async def sample() -> None:
            while True:
                asked = time.perf_counter()
                await asyncio.sleep(interval)
                self._tick = woke = time.perf_counter()
                lag = max(0.0, woke - asked - interval)
                self.lags.append(lag)
                if lag >= STALL:
                    self.late.append((time.monotonic(), lag))

        self._tasks.append(self._loop.create_task(sample()))

    def start_stall_watch(self, interval: float) -> None:
        """A thread that, while the lag sampler is overdue, notes where the loop thread is.

        Every `interval` seconds past `STALL` without a sampler tick adds `interval` to the
        loop thread's current stack (a sampling profiler of stalled time only).
        """
        loop_thread = threading.get_ident()

        def watch() -> None:
            while not self._stop.wait(interval):
                if time.perf_counter() - self._tick < STALL + interval:
                    continue
                frame = sys._current_frames().get(loop_thread)  # noqa: SLF001
                self.stalled_in[_stack(frame)] += round(interval * 1000)

        threading.Thread(target=watch, name="bench_probe_stall_watch", daemon=True).start()

    def start_executor_probe(self, every: float) -> None:
        """Submit a no-op to the executor every `every` seconds and keep its queue wait."""

        async def probe() -> None:
            while True:
                submitted = time.perf_counter()
                started = await self._loop.run_in_executor(None, time.perf_counter)
                self.executor_waits.append(started - submitted)
                await asyncio.sleep(every)

        self._tasks.append(self._loop.create_task(probe()))

    def stop(self) -> None:
        """Stop the samplers (the wrappers stay: they only count)."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()

    def reset_window(self) -> None:
        """Forget the lag and wait samples so far: a new measurement window starts."""
        self.lags.clear()
        self.executor_waits.clear()
        self.late.clear()
        self.stalled_in.clear()

    def snapshot(self) -> dict[str, Any]:
        """Every counter, and the window's lag and wait samples summarised."""
        return {
            "time": time.monotonic(),
            "wakeups": self.wakeups,
            "polls": self.polls,
            "timers_created": dict(self.timers_created),
            "timers_fired": dict(self.timers_fired),
            "jobs": dict(self.jobs),
            "lag": _summary(self.lags),
            "executor_wait": _summary(self.executor_waits),
            "late": list(self.late),
            "stalled_in": self.stalled_in.most_common(40),
        }


def _stack(frame: FrameType | None) -> str:
    """The innermost frames, and the nearest of the integration and of Home Assistant."""
    inner: list[str] = []
    ours = theirs = ""
    depth = 0
    while frame is not None and depth < STACK_DEPTH:
        code = frame.f_code
        where = f"{Path(code.co_filename).name}:{code.co_name}"
        if len(inner) < 3:
            inner.append(where)
        if not ours and WATCHED in code.co_filename:
            ours = where
        if not theirs and "/homeassistant/" in code.co_filename:
            theirs = where
        frame = frame.f_back
        depth += 1
    return " < ".join(inner) + f" | integration: {ours or '-'} | HA: {theirs or '-'}"


def _summary(values: list[float]) -> dict[str, float]:
    """Count, max, p99 and the share at or over 20 and 50 ms, in milliseconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "max_ms": ordered[-1] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "over_20ms": sum(1 for v in ordered if v >= 0.020),
        "over_50ms": sum(1 for v in ordered if v >= 0.050),
    }
