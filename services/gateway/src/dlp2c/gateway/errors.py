"""The error every route raises for a request it refuses: an HTTP status, a stable code, a message."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, where: str = "", headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.where, self.headers = status, code, message, where, headers or {}
