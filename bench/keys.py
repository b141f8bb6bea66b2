"""Key-to-frame latency, measured in-process and headless.

How: the app runs under Textual's `run_test()` (the headless driver). We wrap `App._display`, the
one place every finished frame passes through on its way to the terminal, and record when each
frame has been turned into terminal bytes (`CompositorUpdate.render_segments`, which the headless
driver would skip, so we do it to charge the full cost of a real frame). A key is delivered the
way the terminal driver delivers it (an `events.Key` posted to the app, as `Pilot.press` does),
then we wait without touching the app. Key-to-frame is the time from posting the key to the end
of the first frame painted after it: it includes the key's handler, any database work it does on
the event loop, layout, compositing, and Textual's frame pacing (a dirty screen is repainted by a
60 fps timer, so up to ~17 ms of the number is waiting for the next tick, exactly as a user sees).
"Key to updated screen" (for moves, logging, undo) is the end of the last frame before the app
has been quiet for `QUIET` seconds: an action that repaints in several steps is charged for all.

We do not use `Pilot.press` to time: after delivering a key it forces a synchronous repaint
(`screen._on_timer_update()`), which skips the frame pacing and would flatter the number.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from time import perf_counter

from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

QUIET = 0.06  # > 3 frame periods at 60 fps with nothing painted: the app has settled


class FrameClock:
    """Timestamps of every frame the app finishes painting."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.frames: list[float] = []
        self.states: list[object] = []  # what `probe` returned as each frame was painted
        self.probe: Callable[[], object] = lambda: None
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            if app.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            self.frames.append(perf_counter())
            self.states.append(self.probe())

        app._display = display  # type: ignore[method-assign]

    def _busy(self) -> bool:
        app = self.app
        screen = app.screen
        return bool(
            app._message_queue.qsize()
            or screen._message_queue.qsize()
            or screen._dirty_widgets
            or screen._layout_required
            or screen._repaint_required
        )

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until the app has nothing queued, nothing dirty, and no frame was painted for QUIET
        seconds of a sleep that really lasted about that long (a handler that blocks the event
        loop would otherwise look quiet)."""
        end = perf_counter() + timeout
        while perf_counter() < end:
            count = len(self.frames)
            slept = perf_counter()
            await asyncio.sleep(QUIET)
            slept = perf_counter() - slept
            if len(self.frames) == count and slept < QUIET * 1.5 and not self._busy():
                return
        raise TimeoutError("the app kept repainting; cannot measure a settled screen")


def key_event(key: str) -> events.Key:
    """The event the terminal driver would post for `key`, built exactly as `Pilot.press` does."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def press_and_time(clock: FrameClock, key: str, *, settled: bool = False, timeout: float = 5.0) -> float:
    """Deliver `key`; return milliseconds to its first frame (or, with settled=True, to the last
    frame before the app went quiet). Call only when the app has settled."""
    before = len(clock.frames)
    event = key_event(key)
    event.set_sender(clock.app)
    start = perf_counter()
    clock.app.post_message(event)
    end = start + timeout
    while len(clock.frames) == before:
        if perf_counter() > end:
            raise TimeoutError(f"no frame was painted within {timeout}s of pressing {key!r}")
        await asyncio.sleep(0.0005)
    if not settled:
        first = clock.frames[before]
        await clock.settle()
        return (first - start) * 1000
    await clock.settle()
    return (clock.frames[-1] - start) * 1000


async def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    end = perf_counter() + timeout
    while not predicate():
        if perf_counter() > end:
            raise TimeoutError("the app did not reach the expected state")
        await asyncio.sleep(0.01)


async def held_key(clock: FrameClock, key: str, count: int, position: Callable[[], int], *, rate: float = 30.0) -> list[float]:
    """Hold `key` down: deliver it `count` times at `rate` per second from another thread, the way
    the terminal driver's input thread does (key repeat is about 30/s), whether or not the app has
    kept up. Each key's latency is from its delivery to the first frame showing its effect
    (`position()` one step further per key, e.g. an OptionList's highlighted index), so work left
    over from one key and queued behind it is charged to the next ones."""
    import threading
    from time import sleep

    app = clock.app
    loop = asyncio.get_running_loop()
    step = 1 if key in ("down", "j") else -1
    start = position()
    clock.probe = position
    posts: list[float] = []

    def typist() -> None:
        for _ in range(count):
            event = key_event(key)
            event.set_sender(app)
            posts.append(perf_counter())
            asyncio.run_coroutine_threadsafe(app._post_message(event), loop)
            sleep(1 / rate)

    thread = threading.Thread(target=typist, daemon=True)
    first_frame = len(clock.frames)
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.005)
    await wait_until(lambda: position() == start + step * count, timeout=30)
    await clock.settle()
    clock.probe = lambda: None
    frames = list(zip(clock.frames[first_frame:], clock.states[first_frame:]))
    latencies = []
    for i, posted in enumerate(posts):
        target = start + step * (i + 1)
        shown = next(t for t, state in frames if t >= posted and state is not None and (state - target) * step >= 0)
        latencies.append((shown - posted) * 1000)
    return latencies
