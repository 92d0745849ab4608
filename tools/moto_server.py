#!/usr/bin/env python3
"""moto_server for the test suite, with DynamoDB requests handled one at a time.

Usage: moto_server.py -H 127.0.0.1 -p PORT [--exit-with-parent]   (run with the .venv's python)

moto_server answers each request on its own thread, and its DynamoDB conditional writes
(UpdateItem/PutItem with a ConditionExpression) check the condition and then write without a
lock, so two concurrent writers can both pass a condition that only one may pass. Real
DynamoDB applies each conditional write atomically. The status store's race tests depend on
exactly that guarantee, so this wrapper serialises DynamoDB requests (recognised by their
`X-Amz-Target: DynamoDB_20120810.*` header) and leaves everything else threaded (an SQS long
poll must not block the other services). It is served by waitress, which keeps connections
open between calls as AWS does.

With --exit-with-parent the server exits as soon as the process that started it is gone
(however it ended), so a test run never leaves a server behind.
"""
import argparse
import signal
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress.server import create_server

from test_process import detach_from_test_process


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
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args()
    if args.exit_with_parent:
        detach_from_test_process()
    else:
        # A parent may have started us with signals blocked: unblock them so SIGTERM works.
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
    app = DomainDispatcherApplication(create_backend_app)
    # waitress rather than werkzeug's development server (moto_server's default): werkzeug closes
    # the connection after every answer, AWS keeps it open, and clients that keep connections
    # (the Lambda's) would pay a new one per call here and not on AWS. Enough threads for the
    # SQS long polls of several workers at once.
    server = create_server(SerialiseDynamoDB(app), host=args.host, port=args.port, threads=32, channel_timeout=120)
    # The port, as moto_server (werkzeug) announces it: with -p 0 the OS picks it.
    print(f"Running on http://{args.host}:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
