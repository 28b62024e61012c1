"""Progress of a refresh on the terminal: each step as it starts, and counts of files read."""

import logging
import sys

from dagster import Field, InitLoggerContext, logger

PROGRESS_PREFIX = "progress:"


class ProgressHandler(logging.Handler):
    """Prints ``[k/n] step`` at each step start and the assets' ``progress:`` messages."""

    def __init__(self, total_steps: int, stream=None):
        super().__init__(logging.DEBUG)
        self.total, self.started = total_steps, 0
        self.stream = stream or sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        message = str(meta.get("orig_message") or "")
        if event is not None and event.event_type_value == "STEP_START":
            self.started += 1
            self._print(f"[{self.started}/{self.total}] {meta.get('step_key')}")
        elif message.startswith(PROGRESS_PREFIX):
            self._print(f"      {message[len(PROGRESS_PREFIX) :].strip()}")

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


@logger(
    config_schema={
        "enabled": Field(bool, default_value=False),
        "total_steps": Field(int, default_value=0),
    },
    description="Terminal progress for `chitieu run` (off in the UI and the daemon).",
)
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.Logger("chitieu.progress", level=logging.DEBUG)
    if init_context.logger_config["enabled"]:
        log.addHandler(ProgressHandler(init_context.logger_config["total_steps"]))
    return log
