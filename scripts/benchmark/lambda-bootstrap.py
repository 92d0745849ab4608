#!/usr/bin/env python3
"""Cold start and memory of the Lambda bootstrap under a minimal Runtime API emulator.

Starts BOOTSTRAP with AWS_LAMBDA_RUNTIME_API pointing here, and reports the time from process
start to its first `next` call and its peak RSS (VmHWM) after N invocations of an empty SQS
batch (the runtime loop and handler without network work). Not a test: prints figures.
    scripts/benchmark/lambda-bootstrap.py .build-release/release/bootstrap [N]
"""
import http.server, json, os, subprocess, sys, threading, time

from runtime_api import accept, send_invocation

binary = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 100
state = {"first_next": None, "served": 0, "answered": 0, "hwm_kb": None, "proc": None}
done = threading.Event()

def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

class Runtime(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if state["first_next"] is None:
            state["first_next"] = time.perf_counter()
        if state["served"] >= total:
            state["hwm_kb"] = peak_rss_kb(state["proc"].pid)
            done.set()
            time.sleep(5)  # hold the long poll; the benchmark kills the process
            return
        state["served"] += 1
        send_invocation(self, f"bench-{state['served']}", json.dumps({"Records": []}).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        state["answered"] += 1
        accept(self)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
threading.Thread(target=server.serve_forever, daemon=True).start()
env = dict(os.environ,
           AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
           AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
           RDS_PROVISIONER_STATUS_TABLE="bench", GITHUB_REPOSITORY="acme/infra", GITHUB_TOKEN="bench",
           RDS_PROVISIONER_LOG_LEVEL="warning")
start = time.perf_counter()
state["proc"] = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if not done.wait(60):
    print("bootstrap did not finish", file=sys.stderr)
    state["proc"].kill()
    sys.exit(1)
state["proc"].kill()
print(f"  bootstrap: first `next` {1000 * (state['first_next'] - start):.1f} ms after process start; "
      f"peak RSS {state['hwm_kb'] / 1024:.1f} MiB after {state['answered']} invocations")
