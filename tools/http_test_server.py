#!/usr/bin/env python3
"""A loopback HTTP/1.1 server with scripted behaviours, for the transport tests.

Usage: http_test_server.py [--tls-dir DIR]     (run with the .venv's python)

Prints `listening on PORT` once ready and exits when the process that started it is gone.
Every answer is written byte by byte by this script, so the tests control the framing:

  /echo            200, JSON {method, path, headers, body}; Content-Length; kept alive
  /chunked?size=N  200, N bytes of "x" in chunks of 1000 (Transfer-Encoding: chunked)
  /until-close?size=N  200, N bytes, no length: the body ends when the connection closes
  /truncated       200 promising 100 bytes, sending 10, then closing
  /slow?ms=N       waits N ms, then as /echo
  /close           200 with Connection: close, then closes
  /drop            200 kept alive, then closes without a word (a server's idle timeout)
  /status/N        status N, a short text body
  /garbage         a line that is not HTTP, then closes

Every answer carries `X-Connection: <the client's port>`, so a test sees whether a connection
was reused. With --tls-dir the server speaks TLS with a certificate for DNS name `localhost`
(no IP address), signed by a CA written to DIR/ca.pem; DIR/other-ca.pem is an unrelated CA.
Certificates are made here with `cryptography` (installed with moto), not the openssl CLI.
"""
import argparse
import datetime
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse

from test_process import detach_from_test_process


def make_certificates(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def ca(name):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = ca("rds-provisioner test CA")
    _, other_cert = ca("an unrelated CA")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca_cert.public_bytes(pem))
    with open(os.path.join(directory, "other-ca.pem"), "wb") as f:
        f.write(other_cert.public_bytes(pem))
    with open(os.path.join(directory, "server.pem"), "wb") as f:
        f.write(leaf.public_bytes(pem))
    with open(os.path.join(directory, "server.key"), "wb") as f:
        f.write(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, "server.pem"), os.path.join(directory, "server.key"))
    return context


def read_request(stream):
    """(method, target, headers, body) or None at the end of the connection."""
    line = stream.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers = {}
    while True:
        line = stream.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return method, target, headers, body


def answer(connection, port, status, body, headers=(), length=True):
    head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Status'}", f"X-Connection: {port}"]
    head += list(headers)
    if length:
        head.append(f"Content-Length: {len(body)}")
    connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def serve(connection, port):
    stream = connection.makefile("rb")
    while True:
        request = read_request(stream)
        if request is None:
            return
        method, target, headers, body = request
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        size = int(query.get("size", "0"))
        if url.path == "/slow":
            time.sleep(int(query.get("ms", "0")) / 1000)
        if url.path in ("/echo", "/slow"):
            echo = {"method": method, "path": target, "headers": headers, "body": body.decode("utf-8", "replace")}
            answer(connection, port, 200, json.dumps(echo).encode(), ["Content-Type: application/json"])
        elif url.path == "/chunked":
            head = f"HTTP/1.1 200 OK\r\nX-Connection: {port}\r\nTransfer-Encoding: chunked\r\n\r\n"
            chunks = []
            left = size
            while left > 0:
                n = min(1000, left)
                chunks.append(f"{n:x}\r\n".encode() + b"x" * n + b"\r\n")
                left -= n
            connection.sendall(head.encode() + b"".join(chunks) + b"0\r\n\r\n")
        elif url.path == "/until-close":
            answer(connection, port, 200, b"y" * size, ["Connection: close"], length=False)
            return
        elif url.path == "/truncated":
            connection.sendall(f"HTTP/1.1 200 OK\r\nX-Connection: {port}\r\nContent-Length: 100\r\n\r\n".encode() + b"z" * 10)
            return
        elif url.path == "/close":
            answer(connection, port, 200, b"bye", ["Connection: close"])
            return
        elif url.path == "/drop":
            answer(connection, port, 200, b"dropped")
            return
        elif url.path.startswith("/status/"):
            status = int(url.path.rsplit("/", 1)[1])
            answer(connection, port, status, b"" if status in (204, 304) else b"as asked")
        elif url.path == "/garbage":
            connection.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            return
        else:
            answer(connection, port, 404, b"no such behaviour")


def handle(connection, address, context):
    try:
        if context is not None:
            connection = context.wrap_socket(connection, server_side=True)
        serve(connection, address[1])
    except (OSError, ssl.SSLError, ValueError):
        pass  # the tests provoke broken connections on purpose
    finally:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls-dir")
    args = parser.parse_args()
    detach_from_test_process()
    context = make_certificates(args.tls_dir) if args.tls_dir else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"listening on {listener.getsockname()[1]}", flush=True)
    while True:
        connection, address = listener.accept()
        threading.Thread(target=handle, args=(connection, address, context), daemon=True).start()


if __name__ == "__main__":
    main()
