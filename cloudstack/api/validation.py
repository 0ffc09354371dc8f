"""JSON schema validation of bodies and query strings."""
import functools

import jsonschema

from cloudstack import exception

_FORMATS = jsonschema.FormatChecker()


def _error_message(err):
    field = '/'.join(str(p) for p in err.absolute_path) or 'request body'
    if err.validator == 'additionalProperties' and not err.absolute_path:
        return 'Invalid input for field/attribute: %s' % err.message
    return "Invalid input for field '%s': %s" % (field, err.message)


def validate(schema, data):
    """Raise ValidationError unless `data` matches `schema`."""
    validator = jsonschema.Draft7Validator(schema, format_checker=_FORMATS)
    err = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if err is not None:
        raise exception.ValidationError(_error_message(err))
    return data


def body(schema):
    """Decorator: parse and validate the JSON body; pass it as `body`."""
    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, req, **kwargs):
            kwargs['body'] = validate(schema, req.json_body())
            return func(self, req, **kwargs)
        return wrapper
    return wrap


def query(schema):
    """Decorator: validate the query string (values are strings) as a dict."""
    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, req, **kwargs):
            validate(schema, dict(req.GET))
            return func(self, req, **kwargs)
        return wrapper
    return wrap


# Building blocks shared by services' schemas.
ID = {'type': 'string', 'minLength': 1, 'maxLength': 64}
NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255}
NULLABLE_ID = {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 64}
DESCRIPTION = {'type': ['string', 'null']}
BOOLEAN = {'type': 'boolean'}
