#!/usr/bin/env python3
"""Signs requests with botocore's SigV4Auth, for the Swift signer's cross-check test.

stdin: a JSON list of requests, each
  {"method", "host", "path", "query": [[name, value], ...] (decoded), "headers": [[name, value], ...],
   "body_base64", "access_key", "secret_key", "token" (or null), "region", "service",
   "timestamp": "20150830T123600Z"}
stdout: a JSON list of {"authorization", "canonical_request"}, in the same order.
"""
import base64
import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec):
    fixed = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")
    request = AWSRequest(
        method=spec["method"],
        url="https://" + spec["host"] + spec["path"],
        data=base64.b64decode(spec["body_base64"]),
        params=[tuple(pair) for pair in spec["query"]],
    )
    for name, value in spec["headers"]:
        request.headers[name] = value  # appends: repeated names stay repeated
    credentials = Credentials(spec["access_key"], spec["secret_key"], spec.get("token"))
    auth = botocore.auth.SigV4Auth(credentials, spec["service"], spec["region"])
    # Freeze the clock botocore reads (newer releases call get_current_datetime, older utcnow).
    if hasattr(botocore.auth, "get_current_datetime"):
        patch = mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: fixed)
    else:
        class Frozen(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return fixed

        patch = mock.patch.object(botocore.auth.datetime, "datetime", Frozen)
    captured = []
    canonical_request = auth.canonical_request

    def capture(req):
        captured.append(canonical_request(req))
        return captured[-1]

    auth.canonical_request = capture
    with patch:
        auth.add_auth(request)
    return {"authorization": request.headers["Authorization"], "canonical_request": captured[0]}


def main():
    specs = json.load(sys.stdin)
    json.dump([sign(spec) for spec in specs], sys.stdout)


if __name__ == "__main__":
    main()
