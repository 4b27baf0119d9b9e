"""Stopping a run from outside (Ctrl-C, SIGTERM, a Prefect cancellation) so that it ends
cleanly: recorded as interrupted, the warehouse as it was before the run.

The command line's handler does not raise where the signal happens to land (an exception
there can surface inside a finalizer or a library's clean-up): it asks the run to stop and
interrupts the DuckDB statements running. The run then stops at its next step (each
progress message is one) or as its statement ends. A second signal stops it at once.
Prefect raises its own termination signal in a cancelled flow run; both are BaseExceptions
that are not Exceptions, which is how a stop is told from a failure.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb

from pipelines.storage import interrupt_all


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop; args[0] names the signal."""


_asked: str | None = None  # the signal that asked the run to stop


def ask_to_stop(signum: int, _frame) -> None:
    """The signal handler of `usage-warehouse run` (SIGINT, SIGTERM)."""
    global _asked
    name = signal.Signals(signum).name
    if _asked is not None:  # asked twice: stop now, wherever the run is
        raise Interrupted(name)
    _asked = name
    interrupt_all()


def install() -> None:
    """Handle Ctrl-C and SIGTERM as asks to stop (main thread only)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, ask_to_stop)


def stopping_at_steps(progress: Callable[[str], None]) -> Callable[[str], None]:
    """progress, which first stops the run when it was asked to stop."""

    def step(message: str) -> None:
        if _asked is not None:
            raise Interrupted(_asked)
        progress(message)

    return step


def interruption(exc: BaseException) -> str | None:
    """The signal that stopped a run, or None when it failed by itself."""
    if isinstance(exc, duckdb.InterruptException) and _asked is not None:
        return _asked  # a statement interrupted because the run was asked to stop
    if isinstance(exc, Exception):
        return None
    if isinstance(exc, Interrupted):
        return exc.args[0]
    if isinstance(exc, KeyboardInterrupt):
        return "SIGINT"
    code = getattr(exc, "signal", None)  # Prefect's TerminationSignal carries its signal
    return signal.Signals(code).name if code else type(exc).__name__


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored while a committed run makes its reports and usage.duckdb
    live: a signal there would leave the runs table saying ok beside the previous reports.
    (A signal handler can only be set from the main thread; elsewhere nothing changes.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
