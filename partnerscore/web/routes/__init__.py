"""One router per resource; `pages` serves the HTML twins of the JSON routes."""

from partnerscore.web.schemas import ErrorPublic

#: Error responses every authenticated route may give, for the OpenAPI description.
ERRORS = {code: {"model": ErrorPublic} for code in (400, 401, 403, 404, 422, 503)}
