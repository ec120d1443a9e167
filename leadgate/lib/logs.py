"""Logging for a terminal someone reads: one line per event, tracebacks kept
in the log file instead (settings.LOGGING)."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """Fold a record's exception into the end of its line ("...: (Error: text;
    traceback in <file>)"). The record itself is left as it was, so the log
    file's handler still writes the traceback."""

    def __init__(self, *args: object, where: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.where = where

    def format(self, record: logging.LogRecord) -> str:
        exc_info, exc_text, stack_info = record.exc_info, record.exc_text, record.stack_info
        if not exc_info and not stack_info:
            return super().format(record)
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = exc_info, exc_text, stack_info
        error = exc_info[1] if exc_info else None
        if error is None:
            return line
        text = str(error).strip().splitlines()
        summary = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
        return f"{line} ({summary}" + (f"; traceback in {self.where})" if self.where else ")")
