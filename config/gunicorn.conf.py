"""gunicorn's own logs as the app's: JSON lines through config/logging.py's handler (redacted).

`gunicorn -c config/gunicorn.conf.py config.wsgi`. The app logs one line per request itself
(config.request: request id, user, method, path, status, duration), so gunicorn's access log is
off; GUNICORN_ACCESS_LOG=1 turns it on, with the path and never the query string (`%(U)s`, not
`%(r)s`, which would print `?code=…&state=…` from the OAuth callback).
"""

import os

_json = os.environ.get("LOG_FORMAT", "json") == "json"

# With logconfig_dict gunicorn always builds its access line; the logger's level decides whether it is written.
_access = os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in {"1", "true", "yes", "on"}
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"()": "config.logging.handler", "json": _json}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO" if _access else "WARNING", "propagate": False},
    },
}
