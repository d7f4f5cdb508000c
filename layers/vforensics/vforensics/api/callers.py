"""Who is calling: the identity API Gateway's authorizer put in the event, never the request body.

A caller reads only what its own uploads produced (``uploads.find``). The identity is:
- JWT authorizer (e.g. Cognito): ``jwt:<issuer>|<sub>``;
- IAM authorization (SigV4): ``iam:<caller ARN>``;
- a Lambda authorizer returning ``{"caller": ...}`` in its context, which is also how
  ``vforensics serve`` names its one local caller: ``lambda:<caller>``.
An event with none of them is refused (401): a deployment whose authorizer was removed fails
closed rather than serving everyone's reports to anyone.
"""

from __future__ import annotations

from typing import Any

from vforensics.api.errors import ApiError


def caller_of(event: dict[str, Any]) -> str:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    if claims.get("sub"):
        return f"jwt:{claims.get('iss', '')}|{claims['sub']}"
    iam = authorizer.get("iam") or {}
    if iam.get("userArn") or iam.get("callerId"):
        return f"iam:{iam.get('userArn') or iam.get('callerId')}"
    context = authorizer.get("lambda") or {}
    if context.get("caller"):
        return f"lambda:{context['caller']}"
    raise ApiError("UNAUTHENTICATED", "the request carries no caller identity (JWT, IAM or authorizer context)")
