"""Following redirects of the upgrade request: when, where to, and what
goes along (pure policy, shared by every driver).

A server may answer the upgrade with an HTTP redirect. Lomond follows it
(up to ``max_redirects`` hops) to the URL the ``Location`` names, never
from ``wss://`` down to ``ws://``; credentials and cookies stay with the
host they were meant for.
"""

from .url import RedirectError

#: The statuses that redirect (RFC 7231 6.4, RFC 7538).
REDIRECT_STATUSES = frozenset([301, 302, 303, 307, 308])

#: Headers that carry a secret for one host.
PRIVATE_HEADERS = frozenset([b"authorization", b"cookie", b"proxy-authorization"])


def is_redirect(response, max_redirects):
    """True if ``response`` is a redirect that Lomond may follow."""
    return (
        max_redirects > 0
        and response.status_code in REDIRECT_STATUSES
        and response.get("location") is not None
    )


class Hop(object):
    """Where one upgrade request goes, and what it carries.

    :ivar target: The :class:`~lomond.url.WebSocketURL`.
    :ivar list headers: The extra headers (byte pairs).
    :ivar str authorization: Basic credentials for this host, or None.
    :ivar int number: 0 for the URL the caller gave, then 1, 2 ...
    """

    __slots__ = ["target", "headers", "authorization", "number"]

    def __init__(self, target, headers, authorization, number=0):
        self.target = target
        self.headers = headers
        self.authorization = authorization
        self.number = number

    @classmethod
    def first(cls, target, headers):
        """The hop to the URL the caller gave."""
        return cls(target, headers, target.authorization())

    def follow(self, response, max_redirects):
        """The next hop, for a redirect ``response`` to this one.

        :rtype: Hop
        :raises lomond.url.RedirectError: For one too many, a downgrade to
            ws://, or a Location that isn't a WebSocket URL.
        """
        if self.number >= max_redirects:
            raise RedirectError("too many redirects (more than {})".format(max_redirects))
        target = self.target.redirect(response.get("location"))
        headers = self.headers
        authorization = self.authorization
        if not target.same_host(self.target):
            # Credentials and cookies stay with the host they were for.
            headers = [(name, value) for name, value in headers if name.lower() not in PRIVATE_HEADERS]
            authorization = None
        if target.username is not None:
            authorization = target.authorization()
        return Hop(target, headers, authorization, self.number + 1)
