"""Progress of long work: a live status line on a terminal, plain log lines elsewhere (a
nightly job's log, a pipe)."""

from __future__ import annotations

from rich.console import Console


class Progress:
    """Call with each step's message; close() when the work ends."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True, soft_wrap=True)
        self.status = self.console.status("starting ...") if self.console.is_terminal else None
        if self.status is not None:
            self.status.start()

    def __call__(self, message: str) -> None:
        if self.status is not None:
            self.status.update(message)
        else:
            self.console.print(message, markup=False, highlight=False)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
