"""The analysis id: SHA-256 of "bucket/key/etag".

It must equal what the state machine's ``Identify`` state computes with
``States.Hash(States.Format('{}/{}/{}', bucket, key, etag), 'SHA-256')``; the pipeline
tests check both agree.
"""

import hashlib


def analysis_id_for(bucket: str, key: str, etag: str) -> str:
    bare_etag = etag.strip('"')
    return hashlib.sha256(f"{bucket}/{key}/{bare_etag}".encode()).hexdigest()
