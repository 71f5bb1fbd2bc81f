#!/usr/bin/python3
"""A local stand-in for the Odoo backup bucket: the part of the S3 API the
backup and restore scripts use, with the permissions the Odoo servers' role
has on the real bucket (constructs/bucket/bucket.go GrantReadWrite("odoo/"),
environments/tiers.go), enforced rather than assumed:

- PutObject, GetObject, HeadObject on keys under odoo/ only; ListObjectsV2
  only with a prefix under odoo/ (the s3:prefix condition); no DeleteObject
  (old backups expire by the bucket's lifecycle rule), no multipart upload
  (the scripts do not use it): all refused with S3's AccessDenied or
  NotImplemented, and logged.
- A missing object answers 403, not 404: S3 answers 404 only to a caller
  with s3:ListBucket on the bucket, and the role's is conditioned on
  s3:prefix, which a GetObject/HeadObject request does not carry (S3 User
  Guide, GetObject "Permissions"). Scripts must not test existence by HEAD.
- SSE-KMS: the project's contract (stricter than S3, which would apply the
  bucket default) is that every PutObject names aws:kms and the data key;
  another key is refused as KMS refuses the role any key but the data key.
  Objects answer with the SSE headers, bucket key on, as the bucket is
  configured; the ETag is not the MD5 of the data (S3: not for SSE-KMS).
- Integrity: a PutObject must carry x-amz-checksum-sha256 (or the test's
  deliberate Content-MD5 only case is refused); S3 checks it and answers
  BadDigest when the data differs; a hex x-amz-content-sha256 is checked
  too (XAmzContentSHA256Mismatch). GetObject/HeadObject return the
  checksum when asked with x-amz-checksum-mode: ENABLED.
- SigV4: the Authorization header must name the expected access key and the
  region/s3 scope (the signature itself is not recomputed).
- Versioning: an overwritten key keeps its history; every overwrite is
  logged (the backup must never overwrite).
- ListObjectsV2 answers pages of at most --page-size keys (S3 returns "up
  to" max-keys), so clients must follow continuation tokens.

Every request is appended to --log as a JSON line (method, key, status,
code), which the test reads.

--grant transfer stands in for the stack's Ansible transfer bucket instead,
as community.aws 5.5.0's aws_ssm connection plugin uses it
(plugins/connection/aws_ssm.py): GetBucketLocation (_get_bucket_endpoint),
PutObject of a module by the controller (upload_fileobj with
ServerSideEncryption and SSEKMSKeyId, _file_transport_command), GetObject by
the host with a presigned URL (curl, _generate_commands), PutObject by the
host with a presigned URL and the SSE headers as curl -H (fetch_file), and
DeleteObject by the controller once transferred. Presigned requests carry
their SigV4 credential in the query (X-Amz-Credential, X-Amz-Expires at most
7 days, refused once expired). Keys are <instance-id>/<remote path>, the
plugin's s3_path; a missing key answers 404 (the deploy role may list its
own buckets). No checksum is required there: neither boto3's upload nor curl
sends one.

usage: s3_standin.py --port P --root DIR --bucket B --kms-key-arn ARN
                     --region R --access-key AKID --log FILE [--page-size N]
                     [--grant backup|transfer] [--listen ADDR]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import threading
import urllib.parse
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

ALLOWED_PREFIX = "odoo/"
TRANSFER_KEY = re.compile(r"i-[0-9a-f]{8,17}/.+")
PRESIGN_MAX_EXPIRES = 7 * 24 * 3600
NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class Store:
    """Objects as files: DIR/objects/<sha256 of key>.{data,json}."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        os.makedirs(os.path.join(root, "objects"), exist_ok=True)

    def _base(self, key):
        return os.path.join(self.root, "objects", hashlib.sha256(key.encode()).hexdigest())

    def get(self, key):
        try:
            with open(self._base(key) + ".json") as f:
                meta = json.load(f)
        except FileNotFoundError:
            return None, None
        return meta, self._base(key) + ".data"

    def put(self, key, data, meta):
        """Stores the object; returns True if it replaced one (a new version)."""
        base = self._base(key)
        with self.lock:
            old, _ = self.get(key)
            versions = (old or {}).get("noncurrent_versions", 0) + (1 if old else 0)
            meta["noncurrent_versions"] = versions
            with open(base + ".data.tmp", "wb") as f:
                f.write(data)
            os.replace(base + ".data.tmp", base + ".data")
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f)
            os.replace(base + ".json.tmp", base + ".json")
            return old is not None

    def delete(self, key):
        base = self._base(key)
        with self.lock:
            for suffix in (".json", ".data"):
                try:
                    os.remove(base + suffix)
                except FileNotFoundError:
                    pass

    def keys(self):
        out = []
        for name in os.listdir(os.path.join(self.root, "objects")):
            if name.endswith(".json"):
                with open(os.path.join(self.root, "objects", name)) as f:
                    meta = json.load(f)
                out.append((meta["key"], meta))
        return sorted(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # botocore sends Expect: 100-continue
    server_version = "AmazonS3"
    sys_version = ""

    def log_message(self, fmt, *args):  # the JSON log replaces stderr noise
        pass

    # --- plumbing ---------------------------------------------------------
    def _record(self, status, code="", key=""):
        entry = {"method": self.command, "path": self.path.split("?")[0], "key": key,
                 "status": status, "code": code}
        with self.server.log_lock, open(self.server.args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _send(self, status, body=b"", headers=None, key="", code="", head=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("x-amz-request-id", "STANDIN")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)
        self._record(status, code, key)

    def _error(self, status, code, message, key="", head=False):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{escape(message)}</Message><Key>{escape(key)}</Key>"
                "<RequestId>STANDIN</RequestId></Error>").encode()
        self._send(status, body, {"Content-Type": "application/xml"}, key=key, code=code, head=head)

    def _body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def _route(self):
        """(bucket, key, query) of a path-style request, after the checks
        every request gets; None when an error was sent."""
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        path = urllib.parse.unquote(parsed.path)
        bucket, _, key = path.lstrip("/").partition("/")
        head = self.command == "HEAD"
        auth = self.headers.get("Authorization", "")
        a = self.server.args
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,", auth)
        if not auth and a.grant == "transfer" and "X-Amz-Credential" in query:
            m = self._presigned(query, key, head)
            if m is False:
                return None
        if not m:
            self._error(403, "AccessDenied", "stand-in: requests must be signed with SigV4", key, head)
            return None
        if m.group(1) != a.access_key:
            self._error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", key, head)
            return None
        if m.group(3) != a.region or m.group(4) != "s3":
            self._error(400, "AuthorizationHeaderMalformed",
                        f"The authorization header is malformed; the region '{m.group(3)}' is wrong; expecting '{a.region}'", key, head)
            return None
        if bucket != a.bucket:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist", key, head)
            return None
        return bucket, key, query

    def _presigned(self, query, key, head):
        """The credential match of a presigned request; False when refused."""
        q = {k: v[0] for k, v in query.items()}
        if q.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Signature" not in q:
            self._error(403, "AccessDenied", "Query-string authentication requires X-Amz-Algorithm and X-Amz-Signature", key, head)
            return False
        try:
            expires = int(q.get("X-Amz-Expires", ""))
            signed = datetime.strptime(q.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            self._error(403, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires are required", key, head)
            return False
        if not 1 <= expires <= PRESIGN_MAX_EXPIRES:
            self._error(403, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds)", key, head)
            return False
        if (datetime.now(timezone.utc) - signed).total_seconds() > expires:
            self._error(403, "AccessDenied", "Request has expired", key, head)
            return False
        return re.match(r"([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request$", q["X-Amz-Credential"])

    def _object_headers(self, meta, with_checksum):
        h = {
            "Content-Type": meta["content_type"],
            "ETag": f'"{meta["etag"]}"',
            "Last-Modified": formatdate(meta["mtime"], usegmt=True),
            "Accept-Ranges": "bytes",
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": meta["kms_key_id"],
            "x-amz-server-side-encryption-bucket-key-enabled": "true",
            "x-amz-version-id": meta["version_id"],
        }
        if with_checksum:
            h["x-amz-checksum-sha256"] = meta["checksum_sha256"]
        for k, v in meta.get("metadata", {}).items():
            h["x-amz-meta-" + k] = v
        return h

    # --- operations -------------------------------------------------------
    def do_PUT(self):
        route = self._route()
        if route is None:
            self._body()
            return
        _, key, query = route
        data = self._body()
        h = self.headers
        if "uploadId" in query or "partNumber" in query:
            return self._error(501, "NotImplemented", "stand-in: multipart upload is not part of the backup contract", key)
        if h.get("x-amz-copy-source"):
            return self._error(501, "NotImplemented", "stand-in: CopyObject is not part of the backup contract", key)
        transfer = self.server.args.grant == "transfer"
        if transfer and not TRANSFER_KEY.fullmatch(key):
            return self._error(403, "AccessDenied", f"stand-in contract: transfer keys are <instance-id>/<path>, not {key}", key)
        if not transfer and not key.startswith(ALLOWED_PREFIX):
            return self._error(403, "AccessDenied", f"not authorized to perform s3:PutObject on {key} (the role may write under {ALLOWED_PREFIX} only)", key)
        if h.get("x-amz-server-side-encryption") != "aws:kms":
            return self._error(403, "AccessDenied", "stand-in contract: PutObject must request SSE-KMS (x-amz-server-side-encryption: aws:kms)", key)
        if h.get("x-amz-server-side-encryption-aws-kms-key-id") != self.server.args.kms_key_arn:
            return self._error(403, "AccessDenied", "not authorized to perform kms:GenerateDataKey on the requested key (the role may use the data key only)", key)
        content_sha = h.get("x-amz-content-sha256", "")
        if content_sha.startswith("STREAMING-"):
            return self._error(501, "NotImplemented", f"stand-in: aws-chunked payloads ({content_sha}) are not implemented", key)
        actual = hashlib.sha256(data)
        if re.fullmatch(r"[0-9a-f]{64}", content_sha) and content_sha != actual.hexdigest():
            return self._error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", key)
        if h.get("Content-MD5") and h["Content-MD5"] != base64.b64encode(hashlib.md5(data).digest()).decode():
            return self._error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", key)
        checksum = h.get("x-amz-checksum-sha256")
        if checksum is None and not transfer:
            return self._error(400, "InvalidRequest", "stand-in contract: PutObject must carry x-amz-checksum-sha256", key)
        actual_b64 = base64.b64encode(actual.digest()).decode()
        if checksum is not None and checksum != actual_b64:
            return self._error(400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.", key)
        now = datetime.now(timezone.utc).timestamp()
        meta = {
            "key": key,
            "size": len(data),
            "checksum_sha256": actual_b64,
            # SSE-KMS objects' ETags are not the MD5 of their data.
            "etag": hashlib.md5(data + self.server.args.kms_key_arn.encode()).hexdigest(),
            "kms_key_id": self.server.args.kms_key_arn,
            "content_type": h.get("Content-Type", "binary/octet-stream"),
            "mtime": now,
            "version_id": base64.urlsafe_b64encode(os.urandom(12)).decode(),
            "metadata": {k[len("x-amz-meta-"):]: v for k, v in h.items() if k.lower().startswith("x-amz-meta-")},
        }
        replaced = self.server.store.put(key, data, meta)
        headers = {
            "ETag": f'"{meta["etag"]}"',
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": meta["kms_key_id"],
            "x-amz-server-side-encryption-bucket-key-enabled": "true",
            "x-amz-checksum-sha256": actual_b64,
            "x-amz-version-id": meta["version_id"],
        }
        self._send(200, headers=headers, key=key, code="Overwrite" if replaced else "")

    def _get_or_head(self, head):
        route = self._route()
        if route is None:
            return
        _, key, query = route
        transfer = self.server.args.grant == "transfer"
        if key == "" and transfer and "location" in query and not head:
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="{NS}">'
                    f"{self.server.args.region}</LocationConstraint>").encode()
            return self._send(200, body, {"Content-Type": "application/xml"}, code="GetBucketLocation")
        if key == "":
            if head:  # HeadBucket: s3:ListBucket without a prefix
                return self._error(403, "AccessDenied", "", key, head=True)
            return self._list(query)
        if transfer and not TRANSFER_KEY.fullmatch(key):
            return self._error(403, "AccessDenied", f"stand-in contract: transfer keys are <instance-id>/<path>, not {key}", key, head)
        if not transfer and not key.startswith(ALLOWED_PREFIX):
            return self._error(403, "AccessDenied", f"not authorized to perform s3:GetObject on {key}", key, head)
        if self.headers.get("Range"):
            return self._error(501, "NotImplemented", "stand-in: ranged GETs are not part of the backup contract", key, head)
        meta, path = self.server.store.get(key)
        if meta is None and transfer:
            return self._error(404, "NoSuchKey", "The specified key does not exist.", key, head)
        if meta is None:
            # Not 404: the role's s3:ListBucket is conditioned on s3:prefix.
            return self._error(403, "AccessDenied", "Access Denied", key, head)
        with_checksum = self.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
        with open(path, "rb") as f:
            data = f.read()
        headers = self._object_headers(meta, with_checksum)
        if head:
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self._record(200, "", key)
            return
        self._send(200, data, headers, key=key)

    def do_GET(self):
        self._get_or_head(head=False)

    def do_HEAD(self):
        self._get_or_head(head=True)

    def do_DELETE(self):
        route = self._route()
        if route is None:
            return
        if self.server.args.grant == "transfer" and TRANSFER_KEY.fullmatch(route[1]):
            self.server.store.delete(route[1])
            return self._send(204, key=route[1])
        self._error(403, "AccessDenied", f"not authorized to perform s3:DeleteObject on {route[1]} (no delete: the lifecycle rule expires backups)", route[1])

    def do_POST(self):
        route = self._route()
        self._body()
        if route is None:
            return
        self._error(501, "NotImplemented", "stand-in: POST (multipart upload, DeleteObjects) is not part of the backup contract", route[1])

    def _list(self, query):
        q = {k: v[0] for k, v in query.items()}
        if q.get("list-type") != "2":
            return self._error(501, "NotImplemented", "stand-in: only ListObjectsV2 is implemented")
        prefix = q.get("prefix", "")
        if not prefix.startswith(ALLOWED_PREFIX):
            return self._error(403, "AccessDenied", f"not authorized to perform s3:ListBucket with prefix '{prefix}' (allowed: {ALLOWED_PREFIX}*)")
        delimiter = q.get("delimiter", "")
        # botocore asks for encoding-type=url and decodes only what the
        # answer says it encoded.
        enc = (lambda v: urllib.parse.quote(v, safe="/")) if q.get("encoding-type") == "url" else (lambda v: v)
        max_keys = min(int(q.get("max-keys", "1000")), self.server.args.page_size)
        after = q.get("start-after", "")
        token = q.get("continuation-token")
        if token:
            after = base64.b64decode(token).decode()
        entries = []  # (sort key, kind, value)
        seen_prefixes = set()
        for key, meta in self.server.store.keys():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                cp = prefix + rest.split(delimiter, 1)[0] + delimiter
                if cp not in seen_prefixes:
                    seen_prefixes.add(cp)
                    entries.append((cp, "prefix", cp))
            else:
                entries.append((key, "object", meta))
        entries = [e for e in sorted(entries, key=lambda e: e[0]) if e[0] > after]
        page, truncated = entries[:max_keys], len(entries) > max_keys
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{NS}">',
                 f"<Name>{escape(self.server.args.bucket)}</Name><Prefix>{escape(enc(prefix))}</Prefix>",
                 f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>"]
        if delimiter:
            parts.append(f"<Delimiter>{escape(enc(delimiter))}</Delimiter>")
        if q.get("encoding-type") == "url":
            parts.append("<EncodingType>url</EncodingType>")
        parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if token:
            parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if truncated:
            nxt = base64.b64encode(page[-1][0].encode()).decode()
            parts.append(f"<NextContinuationToken>{nxt}</NextContinuationToken>")
        for _, kind, value in page:
            if kind == "prefix":
                parts.append(f"<CommonPrefixes><Prefix>{escape(enc(value))}</Prefix></CommonPrefixes>")
            else:
                modified = datetime.fromtimestamp(value["mtime"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                parts.append(f"<Contents><Key>{escape(enc(value['key']))}</Key><LastModified>{modified}</LastModified>"
                             f"<ETag>&quot;{value['etag']}&quot;</ETag><Size>{value['size']}</Size>"
                             "<StorageClass>STANDARD</StorageClass></Contents>")
        parts.append("</ListBucketResult>")
        self._send(200, "".join(parts).encode(), {"Content-Type": "application/xml"}, code="List:" + prefix)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--kms-key-arn", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--grant", choices=("backup", "transfer"), default="backup")
    p.add_argument("--listen", default="127.0.0.1")
    args = p.parse_args()
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.args = args
    server.store = Store(args.root)
    server.log_lock = threading.Lock()
    server.serve_forever()


if __name__ == "__main__":
    main()
