"""The Sec-WebSocket-Extensions header (RFC 6455 section 9.1).

::

    Sec-WebSocket-Extensions = extension-list
    extension-list = 1#extension
    extension = extension-token *( ";" extension-param )
    extension-param = token [ "=" (token | quoted-string) ]

A quoted value must be a token once its quotes and escapes are removed.
"""

import re

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SPACE = re.compile(r"[ \t]*")


class ExtensionSyntaxError(ValueError):
    """A Sec-WebSocket-Extensions value that breaks the grammar."""


class _Scanner(object):
    """Reads the header value one lexical item at a time."""

    def __init__(self, text):
        self.text = text
        self.pos = 0

    def skip_space(self):
        self.pos = _SPACE.match(self.text, self.pos).end()

    def at_end(self):
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self):
        self.skip_space()
        return self.text[self.pos : self.pos + 1]

    def take(self, char):
        if self.peek() != char:
            raise ExtensionSyntaxError(
                "expected {!r} at position {} of {!r}".format(char, self.pos, self.text)
            )
        self.pos += 1

    def token(self):
        self.skip_space()
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            raise ExtensionSyntaxError(
                "expected a token at position {} of {!r}".format(self.pos, self.text)
            )
        self.pos = match.end()
        return match.group()

    def value(self):
        if self.peek() != '"':
            return self.token()
        self.pos += 1
        chars = []
        while True:
            if self.pos >= len(self.text):
                raise ExtensionSyntaxError("unterminated quoted string in {!r}".format(self.text))
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                break
            if char == "\\":
                if self.pos >= len(self.text):
                    raise ExtensionSyntaxError("dangling escape in {!r}".format(self.text))
                char = self.text[self.pos]
                self.pos += 1
            chars.append(char)
        value = "".join(chars)
        if not _TOKEN.match(value) or _TOKEN.match(value).end() != len(value):
            raise ExtensionSyntaxError("quoted value {!r} is not a token".format(value))
        return value


def parse_extensions(header):
    """Parse a Sec-WebSocket-Extensions value.

    :param str header: The header value (repeated headers joined with ",").
    :returns: A list of ``(name, params)``; ``params`` is a list of
        ``(name, value)`` pairs where value is a str or None.
    :raises ExtensionSyntaxError: If the value breaks the grammar.
    """
    scanner = _Scanner(header)
    extensions = []
    while not scanner.at_end():
        if scanner.peek() == ",":  # RFC 7230 7: empty list elements
            scanner.take(",")
            continue
        name = scanner.token()
        params = []
        while scanner.peek() == ";":
            scanner.take(";")
            key = scanner.token()
            value = None
            if scanner.peek() == "=":
                scanner.take("=")
                value = scanner.value()
            params.append((key, value))
        extensions.append((name, params))
        if not scanner.at_end():
            scanner.take(",")
    return extensions


def format_extension(name, params):
    """Format one extension offer, e.g. ``'permessage-deflate; a=1; b'``.

    :param str name: The extension token.
    :param list params: ``(name, value)`` pairs; a None value is omitted.
    :rtype: str
    """
    parts = [name]
    for key, value in params:
        parts.append(key if value is None else "{}={}".format(key, value))
    return "; ".join(parts)
