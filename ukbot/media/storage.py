"""Where the bytes live: the default storage (local files under MEDIA_ROOT, or S3/MinIO when USE_S3 is on).

Blobs are content-addressed: ``blobs/ab/cd/<sha256>``; an infected one moves to ``quarantine/<sha256>`` where no
link leads. Only this module talks to the storage backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, storages

BLOB_PREFIX = "blobs"
QUARANTINE_PREFIX = "quarantine"
CHUNK = 64 * 1024


def backend() -> Storage:
    return storages["default"]


def is_s3() -> bool:
    """Whether the storage is S3-compatible (then links are presigned by it rather than signed by us)."""
    return hasattr(backend(), "bucket")


def blob_key(sha256: str) -> str:
    return f"{BLOB_PREFIX}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def quarantine_key(sha256: str) -> str:
    return f"{QUARANTINE_PREFIX}/{sha256}"


def exists(key: str) -> bool:
    return backend().exists(key)


def put(key: str, content: IO[bytes]) -> None:
    """Store ``content`` under exactly ``key`` (content-addressed keys never collide with other bytes)."""
    storage = backend()
    content.seek(0)
    saved = storage.save(key, File(content, name=key))
    if saved != key:  # a local storage renames instead of overwriting: keep one copy, under the expected key
        storage.delete(saved)
        raise FileExistsError(key)


def open_stream(key: str) -> IO[bytes]:
    """A readable stream of the blob, read chunk by chunk from the backend (not loaded whole first)."""
    storage = backend()
    if is_s3():
        return storage.bucket.Object(storage._normalize_name(key)).get()["Body"]  # botocore's StreamingBody
    return storage.open(key, "rb")


def iter_keys() -> Iterator[str]:
    """Every object of the storage (blobs, quarantined blobs), listed page by page from S3 or walked on disk."""
    storage = backend()
    if is_s3():
        location = storage._normalize_name("").rstrip("/")
        prefix = f"{location}/" if location else ""
        for item in storage.bucket.objects.filter(Prefix=prefix):
            if not item.key.endswith("/"):
                yield item.key[len(prefix) :]
        return
    root = Path(storage.location)
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            yield (Path(folder) / name).relative_to(root).as_posix()


def open_listed(key: str) -> IO[bytes]:
    """:func:`open_stream` of a key :func:`iter_keys` listed; FileNotFoundError, on S3 too, when it went since."""
    try:
        return open_stream(key)
    except FileNotFoundError:
        raise
    except Exception:
        if not exists(key):
            raise FileNotFoundError(key) from None
        raise


def size(key: str) -> int:
    return backend().size(key)


def replace(key: str, content: IO[bytes]) -> None:
    """Store ``content`` under exactly ``key``, replacing what is there (a restore puts back a backup's bytes)."""
    if exists(key):
        delete(key)
    put(key, content)


def describe() -> str:
    """Where the objects live: ``s3://bucket/location`` or the local folder."""
    storage = backend()
    if is_s3():
        return f"s3://{storage.bucket_name}/{storage._normalize_name('')}".rstrip("/")
    return str(Path(storage.location))


def delete(key: str) -> None:
    backend().delete(key)


def move(source: str, target: str) -> None:
    """Move a blob to another key (copy, then delete the source)."""
    storage = backend()
    if is_s3():
        bucket = storage.bucket
        bucket.Object(storage._normalize_name(target)).copy_from(
            CopySource={"Bucket": bucket.name, "Key": storage._normalize_name(source)}
        )
    else:
        with storage.open(source, "rb") as stream:
            if storage.exists(target):
                storage.delete(target)
            storage.save(target, File(stream, name=target))
    storage.delete(source)


def presigned_url(key: str, *, ttl: int, content_type: str, disposition: str) -> str:
    """An S3 link to the blob that works without credentials for ``ttl`` seconds."""
    return backend().url(
        key,
        parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
        expire=ttl,
    )
