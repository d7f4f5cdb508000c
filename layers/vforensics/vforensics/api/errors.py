"""The API's one error shape, ``{"error": {"code", "message"}}``, and its HTTP statuses."""

from __future__ import annotations

from http import HTTPStatus

#: code -> HTTP status; the spec's codes first, then the API's own
STATUS_OF: dict[str, int] = {
    "NO_FILE": 400,
    "EMPTY_FILENAME": 400,
    "INVALID_FORMAT": 400,
    "UNAUTHENTICATED": 401,
    "NOT_FOUND": 404,
    "NOT_UPLOADED": 409,
    "FILE_TOO_LARGE": 413,
    "VALIDATION_ERROR": 422,
    "ANALYSIS_ERROR": 500,
}


class ApiError(Exception):
    """A refusal the caller can act on: a stable ``code``, its HTTP status and a message."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status or STATUS_OF.get(code, HTTPStatus.BAD_REQUEST)

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def not_found(what: str) -> ApiError:
    """The same answer for an id that does not exist and one that belongs to another caller."""
    return ApiError("NOT_FOUND", f"no {what} with this id for this caller")
