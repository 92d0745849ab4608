#!/usr/bin/env python3
"""moto_server for the test suite, with DynamoDB requests handled one at a time.

Usage: moto_server.py -H 127.0.0.1 -p PORT   (run with the .venv's python)

moto_server answers each request on its own thread, and its DynamoDB conditional writes
(UpdateItem/PutItem with a ConditionExpression) check the condition and then write without a
lock, so two concurrent writers can both pass a condition that only one may pass. Real
DynamoDB applies each conditional write atomically. The status store's race tests depend on
exactly that guarantee, so this wrapper serialises DynamoDB requests (recognised by their
`X-Amz-Target: DynamoDB_20120810.*` header) and leaves everything else threaded (an SQS long
poll must not block the other services).
"""
import argparse
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class SerialiseDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                # Read the whole answer inside the lock: the work may happen lazily.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, SerialiseDynamoDB(app), threaded=True)


if __name__ == "__main__":
    main()
