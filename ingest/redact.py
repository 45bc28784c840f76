"""Credentials never reach a log line or a report: `user:password@` is cut from URLs in text."""

from __future__ import annotations

import re

# scheme://userinfo@ (WHATWG parsers also take backslashes after the scheme), or a
# scheme-relative //userinfo@. The userinfo runs to the last "@" before the path, query,
# fragment or a space, so "http://a@b@host/" loses "a@b".
_USERINFO = re.compile(r"(?i)((?:\b[a-z][a-z0-9+.-]*:)?[/\\]{2})[^\s/\\?#]*@")


def redact(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\1***@", text)
