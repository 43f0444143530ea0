"""Browser sessions: stored in PostgreSQL (the truth: signing in and every page keep working
while Redis is down), read through a short-lived copy in the cache so that a request does not
pay a database round trip for its session.

The copy lives at most `CACHE_SECONDS` and never past the session's expiry. Every save and
delete through this store updates or removes it. A change the cache missed (Redis was down
at the moment of a sign-out) is therefore visible for at most that long.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.core.cache import cache
from django.utils import timezone

CACHE_SECONDS = 60
KEY_PREFIX = "qinfo.session."


class SessionStore(db.SessionStore):
    cache_key_prefix = KEY_PREFIX

    @property
    def cache_key(self) -> str:
        return self.cache_key_prefix + self._get_or_create_session_key()

    def _remember(self, data: dict, expires) -> None:
        seconds = min(CACHE_SECONDS, int((expires - timezone.now()).total_seconds()))
        if seconds > 0:
            cache.set(self.cache_key, {"data": data, "expires": expires}, seconds)

    def load(self) -> dict:
        if self.session_key:
            copy = cache.get(self.cache_key_prefix + self.session_key)
            if copy is not None and copy["expires"] > timezone.now():
                return copy["data"]
        stored = self._get_session_from_db()
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        self._remember(data, stored.expire_date)
        return data

    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        self._remember(self._get_session(no_load=must_create), self.get_expiry_date())

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        if key:
            cache.delete(self.cache_key_prefix + key)

    @classmethod
    def clear_expired(cls) -> None:
        super().clear_expired()  # the cached copies expire with their sessions by themselves
