"""Where cached pages and fragments live: Redis (shared by every web node) or this process's memory.

Each entry is kept under the tags of what it shows (``catalogue.changes``: a product, its unit, its
category, the lists). A change to any of those, once committed, invalidates the tags: every entry under
them is deleted at once, so entries can be kept for hours and still never show what has changed.

A page is rendered from data read after ``since()``; ``put`` refuses it when one of its tags was
invalidated after that moment (the data it was made from may be older than the change), and an
invalidation that comes after the ``put`` deletes it. Both stores do each step atomically (Redis in a
Lua script), so no order of renders and commits leaves a stale entry behind.

An invalidation Redis does not take (down, or slower than the socket timeout) is owed: until a thread of
the process that made the change gets it through, that process serves nothing kept and keeps nothing, so
it never shows what its own commit changed; other nodes may, until Redis is back and the debt is paid.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable

log = logging.getLogger(__name__)

# How long a tag remembers when it was last invalidated: longer than any render takes.
TAG_MEMORY_SECONDS = 3600

_PUT = """
local since = tonumber(ARGV[3])
for i = 4, #ARGV do
  local seen = redis.call('GET', KEYS[2] .. 'seq:' .. ARGV[i])
  if seen and tonumber(seen) > since then return 0 end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 4, #ARGV do
  local members = KEYS[2] .. 'keys:' .. ARGV[i]
  redis.call('SADD', members, KEYS[1])
  if redis.call('TTL', members) < ttl then redis.call('EXPIRE', members, ttl) end
end
return 1
"""

_INVALIDATE = """
local seq = redis.call('INCR', KEYS[1])
for i = 1, #ARGV do
  redis.call('SET', KEYS[2] .. 'seq:' .. ARGV[i], seq, 'EX', tonumber(KEYS[3]))
  local members = KEYS[2] .. 'keys:' .. ARGV[i]
  local keys = redis.call('SMEMBERS', members)
  for start = 1, #keys, 1000 do
    redis.call('UNLINK', unpack(keys, start, math.min(start + 999, #keys)))
  end
  redis.call('DEL', members)
end
return seq
"""


class RedisStore:
    """Entries in Redis, shared by every web node; invalidation reaches all of them at once."""

    def __init__(self, url: str, prefix: str = "vb:", *, near_seconds: float = 0.0, near_entries: int = 500):
        import redis

        # A near copy of what this process read, for near_seconds: a hot page, and the parts a page is made
        # of, cost no round trip, and another node's change reaches them within that time (this node's own,
        # at once). Parts (get_parts) remember the invalidation count they were current at.
        self.near_seconds = near_seconds
        self.near_entries = near_entries
        self._near: dict[str, tuple[float, bytes]] = {}
        self._near_parts: dict[str, tuple[float, bytes, int]] = {}

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.errors = (redis.RedisError, OSError)
        self.prefix = prefix
        self._seq_key = prefix + "seq"
        self._tag_prefix = prefix + "tag:"
        self._put = self.redis.register_script(_PUT)
        self._invalidate = self.redis.register_script(_INVALIDATE)

        # Tags whose invalidation failed (Redis away or too slow at commit). Entries under them may be stale,
        # so while any are owed this process serves nothing kept and keeps nothing, and a thread of its own
        # retries until Redis takes the invalidation; then every node is current again.
        self.owed: set[str] = set()
        self._paying = threading.Lock()
        self._retrying: threading.Thread | None = None
        self.retry_seconds = 0.2

    # Redis down or slow: pages are rendered (a miss), nothing is kept, and the shop goes on.

    def get(self, key: str) -> bytes | None:
        if self.owed:
            return None
        try:
            return self.redis.get(self.prefix + key)
        except self.errors as error:
            log.warning("page cache: get failed: %s", error)
            return None

    def get_page(self, key: str) -> bytes | None:
        """A whole page, the answer to a request: from the near copy when this process took it from Redis less
        than near_seconds ago."""
        now = time.monotonic()
        near = self._near.get(key)
        if near is not None and near[0] > now:
            return near[1]
        value = self.get(key)
        if value is not None and self.near_seconds > 0:
            if len(self._near) >= self.near_entries:
                self._near.clear()
            self._near[key] = (now + self.near_seconds, value)
        return value

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        if self.owed:
            return [None] * len(keys)
        try:
            return self.redis.mget([self.prefix + k for k in keys])
        except self.errors as error:
            log.warning("page cache: mget failed: %s", error)
            return [None] * len(keys)

    def get_parts(self, keys: list[str]) -> tuple[list[bytes | None], int | None]:
        """The parts a page is made of (cards, kept parts), from the near copy where this process took them
        from Redis less than near_seconds ago, and the invalidation count all of them are current at (None:
        not known). A page or part made from them must be kept only if none of its tags was invalidated
        after that count (pass it as put's since), or it could keep for hours what a near copy still showed."""
        now = time.monotonic()
        values: list[bytes | None] = [None] * len(keys)
        current_at = None
        wanted = []
        for i, key in enumerate(keys):
            near = self._near_parts.get(key)
            if near is not None and near[0] > now:
                values[i] = near[1]
                current_at = near[2] if current_at is None else min(current_at, near[2])
            else:
                wanted.append(i)
        if self.owed:
            return [None] * len(keys), None
        if wanted:
            try:
                *found, seq = self.redis.mget([self.prefix + keys[i] for i in wanted] + [self._seq_key])
            except self.errors as error:
                log.warning("page cache: mget failed: %s", error)
                return values, current_at
            seq = int(seq or 0)  # one command: the values are those of this count
            current_at = seq if current_at is None else min(current_at, seq)
            if len(self._near_parts) + len(wanted) > self.near_entries * 20:
                self._near_parts.clear()
            for i, value in zip(wanted, found, strict=True):
                values[i] = value
                if value is not None and self.near_seconds > 0:
                    self._near_parts[keys[i]] = (now + self.near_seconds, value, seq)
        return values, current_at

    def since(self) -> int | None:
        """The invalidation count now: what a render started now is checked against (None: Redis is away, or an
        invalidation is owed)."""
        if self.owed:
            return None
        try:
            return int(self.redis.get(self._seq_key) or 0)
        except self.errors as error:
            log.warning("page cache: reading the invalidation count failed: %s", error)
            return None

    def put(self, key: str, value: bytes, *, tags: Iterable[str], seconds: int, since: int | None) -> bool:
        """Keep value under key and its tags, unless a tag was invalidated after since."""
        if seconds <= 0 or since is None or self.owed:
            return False
        try:
            return bool(self._put(keys=[self.prefix + key, self._tag_prefix],
                                  args=[value, int(seconds), since, *sorted(set(tags))]))
        except self.errors as error:
            log.warning("page cache: put failed: %s", error)
            return False

    def invalidate(self, tags: Iterable[str]) -> None:
        tags = set(tags)
        if not tags:
            return
        with self._paying:
            tags |= self.owed
            try:
                self._send(tags)
                self.owed = set()
            except self.errors as error:
                # Pages under these tags may now be stale: serve nothing kept until Redis has taken them.
                log.error("page cache: invalidating %s failed, retrying: %s", ", ".join(sorted(tags)[:10]), error)
                self.owed = tags
                self._retry()
            finally:
                self._near.clear()  # after Redis: no read made before the invalidation is left near
                self._near_parts.clear()

    def _send(self, tags: set[str]) -> None:
        self._invalidate(keys=[self._seq_key, self._tag_prefix, TAG_MEMORY_SECONDS], args=sorted(tags))

    def _retry(self) -> None:
        """Start the thread that pays what is owed (called holding _paying)."""
        if self._retrying is not None and self._retrying.is_alive():
            return
        self._retrying = threading.Thread(target=self._pay, name="page-cache-invalidation", daemon=True)
        self._retrying.start()

    def _pay(self) -> None:
        while True:
            time.sleep(self.retry_seconds)
            with self._paying:
                if not self.owed:
                    return
                try:
                    self._send(self.owed)
                except self.errors:
                    continue
                log.warning("page cache: the failed invalidation of %s went through", ", ".join(sorted(self.owed)[:10]))
                self.owed = set()
                self._near.clear()
                self._near_parts.clear()
                return

    def clear(self) -> None:
        """Delete every entry of this store (its prefix), for tests and the benchmark."""
        for key in self.redis.scan_iter(self.prefix + "*", count=1000):
            self.redis.delete(key)
        self.owed = set()  # what was owed is gone with the rest
        self._near.clear()
        self._near_parts.clear()


class MemoryStore:
    """Entries in this process only (one machine, one process: `flask run`, the tests).

    It cannot hear invalidations made by other processes, so create_app caps its lifetimes at
    PAGE_CACHE_LOCAL_SECONDS (1 s) unless told otherwise.
    """

    def __init__(self, max_entries: int = 20_000):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, bytes, frozenset[str]]] = {}
        self._keys: dict[str, set[str]] = defaultdict(set)
        self._tag_seq: dict[str, int] = {}
        self._seq = 0

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            with self._lock:
                self._drop(key)
            return None
        return entry[1]

    def get_page(self, key: str) -> bytes | None:
        return self.get(key)

    def get_parts(self, keys: list[str]) -> tuple[list[bytes | None], int | None]:
        return self.get_many(keys), None  # this process's own memory: nothing can be older than since()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [self.get(k) for k in keys]

    def since(self) -> int:
        return self._seq

    def put(self, key: str, value: bytes, *, tags: Iterable[str], seconds: int, since: int) -> bool:
        if seconds <= 0:
            return False
        tags = frozenset(tags)
        with self._lock:
            if any(self._tag_seq.get(tag, 0) > since for tag in tags):
                return False
            if len(self._entries) >= self.max_entries and key not in self._entries:
                self._evict()
            self._drop(key)
            self._entries[key] = (time.monotonic() + seconds, value, tags)
            for tag in tags:
                self._keys[tag].add(key)
        return True

    def invalidate(self, tags: Iterable[str]) -> None:
        with self._lock:
            self._seq += 1
            for tag in set(tags):
                self._tag_seq[tag] = self._seq
                for key in self._keys.pop(tag, ()):
                    self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._keys.clear()

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry:
            for tag in entry[2]:
                keys = self._keys.get(tag)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._keys[tag]

    def _evict(self) -> None:
        """Make room: drop the expired entries, or else the oldest tenth."""
        now = time.monotonic()
        expired = [k for k, (until, _, _) in self._entries.items() if until < now]
        for key in expired or list(self._entries)[: max(1, self.max_entries // 10)]:
            self._drop(key)
