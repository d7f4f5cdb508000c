"""Errors that end an analysis with a clear, stable reason.

A Lambda handler that lets ``MediaRejected`` escape reports ``errorType`` =
``MediaRejected``; the state machine catches exactly that name and records the analysis
as FAILED with the message, instead of retrying. The message starts with a stable code
(``EMPTY_FILE: ...``) so tools can branch on it.
"""


class MediaRejected(Exception):
    """The uploaded file cannot be analysed (wrong type, too large, corrupt, ...)."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")

    @classmethod
    def parse(cls, text: str) -> "MediaRejected":
        """Rebuild from ``str(error)``, e.g. a Lambda ``errorMessage``."""
        code, _, message = text.partition(": ")
        if not message or not code.isupper():
            return cls("REJECTED", text)
        return cls(code, message)
