#!/usr/bin/python3
"""The stand-in hosts' way out, as a NAT gateway is the servers': an HTTP
forward proxy that reaches the Debian mirror only (the one network this
machine may use), and serves the test's local downloads under
http://<listen>:<port>/standin/ from --files (the packages the roles fetch
from vendors' URLs, which the test points here). Mirror files under pool/
and by-hash/ never change, so they are cached in --cache across runs.

usage: mirror_proxy.py --listen ADDR --port P --files DIR --cache DIR --log FILE
"""

import argparse
import hashlib
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIRRORS = {"deb.debian.org", "security.debian.org"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        with self.server.lock, open(self.server.args.log, "a") as f:
            f.write("%s %s\n" % (self.address_string(), fmt % args))

    def _send_file(self, path, head=False):
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if not head:
            with open(path, "rb") as f:
                shutil.copyfileobj(f, self.wfile)

    def _fail(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        url = urllib.parse.urlsplit(self.path)
        if not url.netloc:  # a request to the proxy itself: the local files
            rel = os.path.normpath(urllib.parse.unquote(url.path)).lstrip("/")
            if not rel.startswith("standin/"):
                return self._fail(404, "not found")
            path = os.path.join(self.server.args.files, rel[len("standin/"):])
            if not os.path.isfile(path):
                return self._fail(404, "not found")
            return self._send_file(path, head)
        if url.scheme != "http" or url.hostname not in MIRRORS:
            return self._fail(403, f"the stand-in hosts reach the Debian mirror only, not {url.hostname}")
        cacheable = "/pool/" in url.path or "/by-hash/" in url.path
        cached = os.path.join(self.server.args.cache, hashlib.sha256(self.path.encode()).hexdigest())
        if cacheable and os.path.isfile(cached):
            return self._send_file(cached, head)
        try:
            with urllib.request.urlopen(urllib.request.Request(self.path, method="HEAD" if head else "GET"), timeout=60) as r:
                if head or not cacheable:
                    data = b"" if head else r.read()
                    self.send_response(r.status)
                    for k in ("Content-Type", "Last-Modified", "ETag"):
                        if r.headers.get(k):
                            self.send_header(k, r.headers[k])
                    self.send_header("Content-Length", r.headers.get("Content-Length", "0") if head else str(len(data)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(data)
                    return
                tmp = cached + ".%d.tmp" % threading.get_ident()
                with open(tmp, "wb") as f:
                    shutil.copyfileobj(r, f)
                os.replace(tmp, cached)
        except urllib.error.HTTPError as e:
            return self._fail(e.code, str(e))
        except (urllib.error.URLError, OSError) as e:
            return self._fail(502, str(e))
        self._send_file(cached)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag in ("--listen", "--files", "--cache", "--log"):
        p.add_argument(flag, required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.args = args
    server.lock = threading.Lock()
    server.serve_forever()


if __name__ == "__main__":
    main()
