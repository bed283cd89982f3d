"""Where image files live: a folder on local disk (MEDIA_ROOT) or an S3-compatible bucket, behind one interface."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

# Keys are the pipeline's own ("products/3f2a/9c0e…/800.webp"): plain segments, never "..", never absolute,
# so neither backend can be walked out of its folder or bucket by a key.
_KEY = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)?(?:/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)?)*$")
# Keys are random and never rewritten, so a CDN and browsers may keep a file for good.
CACHE_CONTROL = "public, max-age=31536000, immutable"


class StorageError(Exception):
    """The storage backend failed (the bucket is unreachable, access is denied, the disk is full)."""


class Storage(Protocol):
    """Files addressed by keys like "products/3f2a/9c0e…/800.webp"."""

    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def open(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, key_prefix: str) -> int: ...


def check_key(key: str) -> str:
    """Return key if it is a safe relative key, else raise ValueError."""
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder on this machine (MEDIA_ROOT); the /media/ route serves them."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Return the file's path under the root."""
        return self.root / check_key(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Write the file, replacing one with the same key."""
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename, so the /media/ route never serves half a file.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise StorageError(f"cannot write {key}: {error}") from error

    def open(self, key: str) -> bytes:
        """Return the file's bytes; FileNotFoundError when there is none."""
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under key."""
        return self.path(key).is_file()

    def delete_prefix(self, key_prefix: str) -> int:
        """Delete the folder key_prefix (an image's variants) and return how many files went."""
        folder = self.path(key_prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        try:
            shutil.rmtree(folder)
        except OSError as error:
            raise StorageError(f"cannot delete {key_prefix}: {error}") from error
        return count


class S3Storage:
    """Objects in an S3-compatible bucket; MEDIA_URL (a CDN or the bucket's public address) serves them.

    Credentials come from where boto3 looks for them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the
    environment, or the machine's role), never from the shop's config.
    """

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        # A session of our own: boto3's default session is not safe to create clients from in several threads.
        self._client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            config=Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
                # Several S3-compatible services refuse the CRC checksums boto3 adds by default since 1.36.
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
            ),
        )

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Upload the object, replacing one with the same key."""
        # No ACL: whether the bucket is public is the bucket policy's business, and buckets with
        # object ownership enforced refuse any ACL.
        self._call("put_object", Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type,
                   CacheControl=CACHE_CONTROL)

    def open(self, key: str) -> bytes:
        """Return the object's bytes; FileNotFoundError when there is none."""
        from botocore.exceptions import ClientError

        try:
            return self._client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from error
            raise StorageError(f"cannot read {key}: {error}") from error
        except Exception as error:  # botocore's connection errors share no base class with ClientError
            raise _storage_error(error, f"cannot read {key}") from error

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under key."""
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"cannot look up {key}: {error}") from error
        except Exception as error:
            raise _storage_error(error, f"cannot look up {key}") from error
        return True

    def delete_prefix(self, key_prefix: str) -> int:
        """Delete every object under the folder key_prefix and return how many went."""
        # The trailing slash keeps "products/ab/12" from also taking "products/ab/123…".
        prefix = check_key(key_prefix.rstrip("/")) + "/"
        deleted = 0
        pages = self._call("get_paginator", "list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        try:
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:  # a page holds at most 1000 keys, as many as one delete_objects call takes
                    answer = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                    if answer.get("Errors"):
                        raise StorageError(f"cannot delete under {prefix}: {answer['Errors'][0]}")
                    deleted += len(keys)
        except StorageError:
            raise
        except Exception as error:
            raise _storage_error(error, f"cannot delete under {prefix}") from error
        return deleted

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, method)(*args, **kwargs)
        except Exception as error:
            raise _storage_error(error, f"{method} failed") from error


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _storage_error(error: Exception, message: str) -> Exception:
    """Turn botocore's errors into StorageError; let anything else (a bug of ours) through unchanged."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, BotoCoreError | ClientError):
        return StorageError(f"{message}: {error}")
    return error


def stored_locally(config: Mapping[str, Any]) -> bool:
    """Tell whether the config keeps images in MEDIA_ROOT (no MEDIA_S3_BUCKET set)."""
    return not config.get("MEDIA_S3_BUCKET")


def storage_for(config: Mapping[str, Any]) -> LocalStorage | S3Storage:
    """Return the storage the config asks for: the S3 bucket when MEDIA_S3_BUCKET is set, else MEDIA_ROOT."""
    if not stored_locally(config):
        return S3Storage(config["MEDIA_S3_BUCKET"], endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL"),
                         region=config.get("MEDIA_S3_REGION"))
    return LocalStorage(config["MEDIA_ROOT"])


# Files follow the transaction: a row's files go when its deletion commits, and files written for a
# row that is rolled back go too. Deleting them at once would leave a live row without its pictures
# whenever the request fails after the service ran.
_PENDING = "catalogue.storage.pending"


def delete_on_commit(session: Session, storage: Storage, key_prefix: str) -> None:
    """Delete key_prefix from storage once the session's transaction commits (not at all if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(("commit", storage, key_prefix))


def delete_on_rollback(session: Session, storage: Storage, key_prefix: str) -> None:
    """Delete key_prefix from storage if the session's transaction ends without committing."""
    session.info.setdefault(_PENDING, []).append(("rollback", storage, key_prefix))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    _run(session.info.pop(_PENDING, []), "commit")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction decides; anything still pending here was not committed.
    if transaction.parent is None:
        _run(session.info.pop(_PENDING, []), "rollback")


def _run(pending: list[tuple[str, Storage, str]], outcome: str) -> None:
    for when, storage, key_prefix in pending:
        if when != outcome:
            continue
        try:
            storage.delete_prefix(key_prefix)
        except (StorageError, OSError, ValueError):
            # The transaction is over and cannot be undone; a folder left behind wastes space, nothing else.
            log.warning("could not delete stored files under %s", key_prefix, exc_info=True)
