class DomainError(Exception):
    """A refused action from a services layer. ``code`` is stable and machine-readable; ``field`` names
    the input at fault (if any). Views turn it into a typed 4xx (``core.api.exception_handler``)."""

    status_code = 400

    def __init__(self, message: str, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        if code == "forbidden":
            self.status_code = 403
        elif code == "not_found":
            self.status_code = 404
