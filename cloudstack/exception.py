"""Errors the services raise; the fault middleware renders them per API."""


class CloudstackError(Exception):
    code = 500
    title = 'Internal Server Error'
    message = 'An unexpected error prevented the server from fulfilling the request.'

    def __init__(self, message=None, **kwargs):
        if message is None:
            message = self.message % kwargs if kwargs else self.message
        self.message = message
        self.headers = {}
        super().__init__(self.message)


class BadRequest(CloudstackError):
    code = 400
    title = 'Bad Request'
    message = 'The request could not be understood.'


class ValidationError(BadRequest):
    message = 'The request body or query is not valid.'


class Unauthorized(CloudstackError):
    code = 401
    title = 'Unauthorized'
    message = 'The request you have made requires authentication.'


class Forbidden(CloudstackError):
    code = 403
    title = 'Forbidden'
    message = 'You are not authorized to perform the requested action.'


class NotFound(CloudstackError):
    code = 404
    title = 'Not Found'
    message = 'Could not find the resource.'


class MethodNotAllowed(CloudstackError):
    code = 405
    title = 'Method Not Allowed'
    message = 'The method is not allowed for this resource.'


class NotAcceptable(CloudstackError):
    code = 406
    title = 'Not Acceptable'
    message = 'The requested version is not supported.'


class Conflict(CloudstackError):
    code = 409
    title = 'Conflict'
    message = 'The request conflicts with the current state of the resource.'


class Gone(CloudstackError):
    code = 410
    title = 'Gone'


class PreconditionFailed(CloudstackError):
    code = 412
    title = 'Precondition Failed'


class RequestTimeout(CloudstackError):
    code = 408
    title = 'Request Timeout'
    message = 'The client did not send the request body in time.'


class RequestEntityTooLarge(CloudstackError):
    code = 413
    title = 'Request Entity Too Large'
    message = 'The request body is too large.'


class UnsupportedMediaType(CloudstackError):
    code = 415
    title = 'Unsupported Media Type'


class NotImplementedYet(CloudstackError):
    code = 501
    title = 'Not Implemented'
    message = 'The action you have requested has not been implemented.'


class ServiceUnavailable(CloudstackError):
    code = 503
    title = 'Service Unavailable'
