"""The two answers a minimal Lambda Runtime API emulator gives, shared by the benchmark scripts
(lambda-bootstrap.py, aws.py): an invocation on `next`, and 202 to a response or error."""
import time


def send_invocation(handler, request_id, body, deadline_seconds=60):
    """Answers GET /2018-06-01/runtime/invocation/next with one event (bytes)."""
    handler.send_response(200)
    handler.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
    handler.send_header("Lambda-Runtime-Deadline-Ms", str(int((time.time() + deadline_seconds) * 1000)))
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def accept(handler):
    """Answers a POST (response, error) with 202 and no body."""
    handler.send_response(202)
    handler.send_header("Content-Length", "0")
    handler.end_headers()
