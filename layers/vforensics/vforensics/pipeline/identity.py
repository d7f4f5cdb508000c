"""The analysis id: SHA-256 of "bucket/key/etag".

It must equal what the state machine's ``Identify`` state computes with
``States.Hash(States.Format('{}/{}/{}', bucket, key, etag), 'SHA-256')``; the pipeline
tests check both agree. The key is hashed as the event carries it (never URL-decoded).

The id is an idempotency key, not a secret: anyone who knows the bucket, the key and the
file (its etag is the MD5 of a single-part upload) can compute it. Nothing may grant access
by id alone: reports live in the private results bucket under ``analyses/<id>/`` and are read
with AWS credentials; an API that serves them must authorize the caller for that upload
(docs/SECURITY.md, "Identifiers").
"""

import hashlib


def analysis_id_for(bucket: str, key: str, etag: str) -> str:
    bare_etag = etag.strip('"')
    return hashlib.sha256(f"{bucket}/{key}/{bare_etag}".encode()).hexdigest()
