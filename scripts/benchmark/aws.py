#!/usr/bin/env python3
"""AWS mode against moto_server: the Lambda bootstrap's cost per message and the worker's
messages per second. Not a test: prints figures for BENCHMARKS.md.

    .venv/bin/python scripts/benchmark/aws.py BIN_DIR [--messages N] [--worker-messages M] [--bootstrap PATH] [--rounds R]

BIN_DIR holds release builds of `bootstrap` and `rds-provisioner`. Everything runs on
127.0.0.1: moto_server (tools/moto_server.py) for SNS, SQS and DynamoDB, tools/fake-github for
GitHub, and a minimal Lambda Runtime API emulator in this script.

1. Lambda: N requests are published to an SNS topic subscribed by an SQS queue (raw delivery
   off, as deployed). The emulator plays Lambda's event source mapping with batches of one:
   on each `next` it receives a message from SQS, hands it over as an SQS event, and deletes
   it when the function answers. Reported: the function's CPU time per message (user + system
   time of the bootstrap process over the N invocations: its own work, without the time it
   waits for DynamoDB and GitHub), the wall time per invocation (which includes moto and the
   fake GitHub, both Python), time to the first `next` and peak RSS (VmHWM) after the N
   invocations of real work.
2. Worker: M requests are published to SNS first; then `rds-provisioner worker --queue-url
   --status-table` (local git publisher) starts, and the clock runs until every request is
   `pr_opened` in DynamoDB. Reported: messages per second, and the worker's CPU per message.
"""
import argparse
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3

from runtime_api import accept, send_invocation

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "ghp_BENCHMARKtoken000000000000000000"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc/PID/stat (10 ms ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def user_system_seconds(pid):
    """User and system CPU time of a running process, apart (10 ms ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds_precise(pid):
    """Time on a CPU of every live thread of a process, in nanoseconds' precision
    (/proc/PID/task/TID/schedstat). The bootstrap's threads live as long as it does."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e9


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024


def start_moto():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tools/moto_server.py"), "-H", "127.0.0.1", "-p", str(port), "--exit-with-parent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


def start_fake_github(latency_ms):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tools/fake-github/fake_github.py"), "--repository", "acme/infra", "--token", TOKEN,
         "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if "listening on " not in line:
        raise SystemExit(f"fake GitHub did not start: {line!r}")
    url = next(part for part in line.split() if part.startswith("http://"))
    return process, url


class AWS:
    def __init__(self, endpoint):
        self.environment = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                            "AWS_ENDPOINT_URL": endpoint}
        session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        self.sns = session.client("sns", endpoint_url=endpoint)
        self.sqs = session.client("sqs", endpoint_url=endpoint)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint)

    def pipeline(self, name):
        """A topic subscribed by a queue with a dead-letter queue, and a status table."""
        dead_letter = self.sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        dead_letter_arn = self.sqs.get_queue_attributes(QueueUrl=dead_letter, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = self.sqs.create_queue(QueueName=name, Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": "5"})})["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        self.dynamodb.create_table(
            TableName=name, AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        return topic, queue

    def publish(self, topic, count, prefix):
        ids = []
        for index in range(count):
            body = {"databaseName": f"{prefix}{index:05d}", "databaseEngine": ["MySQL", "PostgreSQL"][index % 2],
                    "environment": "Dev"}
            ids.append(self.sns.publish(TopicArn=topic, Message=json.dumps(body))["MessageId"])
        return ids

    def statuses(self, table):
        counts = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="#s",
                                                                  ExpressionAttributeNames={"#s": "status"}):
            for item in page["Items"]:
                status = item.get("status", {}).get("S", "?")
                counts[status] = counts.get(status, 0) + 1
        return counts


def lambda_benchmark(aws, bootstrap, github_url, count, round_number=1):
    name = f"bench-lambda-{round_number}"
    topic, queue = aws.pipeline(name)
    aws.publish(topic, count, f"lambda{round_number}x")
    state = {"first_next": None, "served": 0, "answered": 0, "receipt": None, "started": None,
             "wall": [], "failed": 0, "cpu_start": None, "cpu_second": None, "cpu_end": None, "hwm": None, "proc": None}
    done = threading.Event()

    class Runtime(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Each answer leaves in one write, as web servers send them. Unbuffered (http.server's
        # default), the head and the body go out as two segments, and the client wakes up twice.
        wbufsize = 64 * 1024

        def log_message(self, *args):
            pass

        def do_GET(self):
            if state["first_next"] is None:
                state["first_next"] = time.perf_counter()
            pid = state["proc"].pid
            if state["served"] >= count:
                state["cpu_end"] = cpu_seconds_precise(pid)
                state["split_end"] = user_system_seconds(pid)
                state["hwm"] = peak_rss_mib(pid)
                done.set()
                time.sleep(30)  # hold the long poll; the benchmark kills the process
                return
            messages = []
            while not messages:
                messages = aws.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=5,
                                                   MessageSystemAttributeNames=["All"]).get("Messages", [])
            message = messages[0]
            state["receipt"] = message["ReceiptHandle"]
            event = {"Records": [{
                "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                "attributes": message.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{name}",
                "awsRegion": "us-east-1"}]}
            state["served"] += 1
            if state["cpu_start"] is None:
                state["cpu_start"] = cpu_seconds_precise(pid)
            elif state["cpu_second"] is None:
                state["cpu_second"] = cpu_seconds_precise(pid)
                state["split_second"] = user_system_seconds(pid)
            send_invocation(self, f"bench-{state['served']}", json.dumps(event).encode())
            state["started"] = time.perf_counter()

        def do_POST(self):
            answer = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            state["wall"].append(time.perf_counter() - state["started"])
            if "/response" in self.path and not answer.get("batchItemFailures"):
                aws.sqs.delete_message(QueueUrl=queue, ReceiptHandle=state["receipt"])
                state["answered"] += 1
            else:
                state["failed"] += 1
            accept(self)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, **aws.environment,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               RDS_PROVISIONER_STATUS_TABLE=name, GITHUB_REPOSITORY="acme/infra",
               GITHUB_API_URL=github_url, GITHUB_TOKEN=TOKEN, RDS_PROVISIONER_LOG_LEVEL="warning",
               GITHUB_CONTENT_INTERVAL_MS="0")  # pacing off: measure the function, not the wait
    start = time.perf_counter()
    state["proc"] = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not done.wait(600):
        state["proc"].kill()
        raise SystemExit("the bootstrap did not finish")
    state["proc"].kill()
    server.shutdown()
    opened = aws.statuses(name).get("pr_opened", 0)
    wall = sorted(state["wall"])
    cpu_ms = 1000 * (state["cpu_end"] - state["cpu_start"]) / count
    first_ms = 1000 * (state["cpu_second"] - state["cpu_start"])
    steady_ms = 1000 * (state["cpu_end"] - state["cpu_second"]) / (count - 1)
    user_ms = 1000 * (state["split_end"][0] - state["split_second"][0]) / (count - 1)
    system_ms = 1000 * (state["split_end"][1] - state["split_second"][1]) / (count - 1)
    print(f"  lambda: {count} invocations: {opened} pull requests opened, {state['failed']} handed back to the queue "
          f"(the GitHub client keeps to 480 writes an hour, 5 per pull request)")
    print(f"  lambda: CPU {cpu_ms:.2f} ms per message over all {count} (the function's own work): the first "
          f"{first_ms:.0f} ms (code paged in, caches filled), then {steady_ms:.2f} ms per message "
          f"(user {user_ms:.1f}, system {system_ms:.1f}, in 10 ms ticks)")
    print(f"  lambda: wall per invocation "
          f"p50 {1000 * wall[len(wall) // 2]:.1f} ms, p99 {1000 * wall[int(len(wall) * 0.99) - 1]:.1f} ms "
          f"(including moto and the fake GitHub)")
    print(f"  lambda: first `next` {1000 * (state['first_next'] - start):.1f} ms after process start; "
          f"peak RSS {state['hwm']:.1f} MiB after {count} invocations of real work")
    return steady_ms


def worker_benchmark(aws, binary, count):
    topic, queue = aws.pipeline("bench-worker")
    aws.publish(topic, count, "worker")
    data = tempfile.mkdtemp(prefix="rds-bench-worker-")
    env = dict(os.environ, **aws.environment)
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(binary), "worker", "--queue-url", queue, "--status-table", "bench-worker", "--data-dir", data,
         "--workers", "8", "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opened = 0
    while opened < count:
        time.sleep(0.25)  # polling a remote condition in a benchmark, not a test
        if process.poll() is not None:
            raise SystemExit("the worker exited")
        opened = aws.statuses("bench-worker").get("pr_opened", 0)
        if time.perf_counter() - start > 900:
            raise SystemExit(f"the worker opened {opened} of {count} in 15 minutes")
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(30)
    print(f"  worker: {count} messages to pr_opened in {elapsed:.1f} s = {count / elapsed:.0f} messages/s "
          f"(8 at once, local git publisher); worker CPU {1000 * cpu / count:.2f} ms per message")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--worker-messages", type=int, default=500)
    parser.add_argument("--bootstrap", help="the bootstrap to run (default: BIN_DIR/bootstrap)")
    parser.add_argument("--github-latency-ms", type=float, default=0,
                        help="the fake GitHub waits this long before each answer, as a network round trip would "
                             "(the function then runs its next step on caches other work has cooled)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="Lambda rounds, each a fresh process on fresh resources (this machine is a VM: "
                             "single runs vary by about 10 %%; the median of several is steadier)")
    args = parser.parse_args()
    bin_dir = pathlib.Path(args.bin_dir)
    moto, endpoint = start_moto()
    github, github_url = start_fake_github(args.github_latency_ms)
    try:
        aws = AWS(endpoint)
        bootstrap = pathlib.Path(args.bootstrap) if args.bootstrap else bin_dir / "bootstrap"
        steady = sorted(lambda_benchmark(aws, bootstrap, github_url, args.messages, round_number)
                        for round_number in range(1, args.rounds + 1))
        if args.rounds > 1:
            print(f"  lambda: {args.rounds} rounds: CPU per message after the first, median {steady[len(steady) // 2]:.2f} ms "
                  f"(range {steady[0]:.2f}-{steady[-1]:.2f} ms)")
        if args.worker_messages > 0:
            worker_benchmark(aws, bin_dir / "rds-provisioner", args.worker_messages)
    finally:
        github.terminate()
        moto.terminate()


if __name__ == "__main__":
    main()
