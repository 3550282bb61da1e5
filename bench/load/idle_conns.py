#!/usr/bin/env python3
"""Opens N keep-alive TLS connections to 127.0.0.1:PORT, sends one POST of MSGFILE on each
(so every connection has done a full request and is idle in keep-alive), prints
"OPEN <ok> <failed>" and holds them until killed or HOLD seconds pass (bench/run-load.sh).

    idle_conns.py PORT N MSGFILE CAFILE HOLD_SECONDS [TIMEOUT_SECONDS]
"""
import socket
import ssl
import sys
import time


def one(ctx: ssl.SSLContext, port: int, body: bytes, timeout: float) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(b"POST /bip-sync-wss-gost/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed before the headers")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status:
        raise OSError(status.decode(errors="replace"))
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed in the body")
        rest += chunk
    return s


def main() -> int:
    port, n, msgfile, cafile, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
        sys.argv[4], float(sys.argv[5])
    timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    body = open(msgfile, "rb").read()
    ctx = ssl.create_default_context(cafile=cafile)
    conns, failed, first_error = [], 0, ""
    t0 = time.monotonic()
    for _ in range(n):
        try:
            conns.append(one(ctx, port, body, timeout))
        except OSError as e:
            failed += 1
            first_error = first_error or str(e)
    print(f"OPEN {len(conns)} {failed} {time.monotonic() - t0:.2f}s {first_error}", flush=True)
    time.sleep(hold)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
