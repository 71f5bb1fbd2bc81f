#!/usr/bin/python3
"""A local stand-in for the environments' S3 buckets (and for Secrets
Manager's GetSecretValue): the part of the APIs the scripts and roles use,
with each caller's permissions read from the synthesized stacks and
enforced, not assumed.

Who may do what: every request is signed (SigV4) with an access key that
stands for one role of the stacks (--principal KEY=ROLE); its identity
policy and permissions boundary come from the stacks given with --stack
(e2etest/testdata/*.json, which the snapshot test keeps equal to what the
constructs synthesize) and tests/iam_eval.py decides, as IAM does, on the
S3 action and object ARN (s3:prefix on ListObjectsV2), and on the KMS
action S3 makes on the caller's behalf with the bucket's key
(kms:GenerateDataKey to write, kms:Decrypt to read, both to complete a
multipart upload: S3 User Guide, "Uploading and copying objects using
multipart upload", KMS permissions; context kms:ViaService
s3.<region>.amazonaws.com, kms:CallerAccount, kms:EncryptionContext:aws:s3:arn
the bucket's ARN as its bucket key makes it, kms:ResourceAliases the key's
aliases). Refusals answer S3's AccessDenied, and the log says why.

S3's behaviour the clients must live with, from the S3 API Reference:
- A missing object answers 404 only to a caller allowed s3:ListBucket on
  the bucket (GetObject, "Permissions"), evaluated without s3:prefix (the
  request has none): a prefix-limited role gets 403, so scripts must not
  test existence with HEAD.
- ListObjectsV2 answers pages of at most --page-size keys (S3 returns "up
  to" max-keys), so clients must follow continuation tokens.
- Multipart uploads: parts of 5 MiB at least but the last (EntityTooSmall
  at CompleteMultipartUpload), listed in ascending order with their ETags
  (InvalidPartOrder, InvalidPart); UploadPartCopy and CopyObject read the
  source with the caller's s3:GetObject and the source key's kms:Decrypt.
- Versioned buckets: an overwrite or a delete keeps the old version (the
  log marks overwrites "Overwrite" and deletes "DeleteMarker").
- A request for a bucket of another region is refused
  AuthorizationHeaderMalformed, as S3 does.

The project's contract, stricter than S3: every write names SSE-KMS and
the bucket's own key (the bucket default would apply otherwise; another
key is refused as KMS refuses the role any key but the data key); buckets
named with --require-checksum refuse a PutObject without
x-amz-checksum-sha256 (the Odoo backup's rule); a given checksum, MD5 or
hex x-amz-content-sha256 is checked (BadDigest, XAmzContentSHA256Mismatch).

Presigned requests (S3 API Reference, "Authenticating Requests: Using
Query Parameters") act as the principal whose key signed them: the
credential is in the query (X-Amz-Credential), X-Amz-Expires is at most 7
days, and an expired URL is refused. The Ansible transfer bucket is used so
by community.aws 5.5.0's aws_ssm connection plugin
(plugins/connection/aws_ssm.py): GetBucketLocation (_get_bucket_endpoint,
s3:GetBucketLocation), PutObject of a module by the controller
(upload_fileobj with ServerSideEncryption and SSEKMSKeyId,
_file_transport_command), GetObject by the host with a presigned URL
(curl, _generate_commands), PutObject by the host with a presigned URL and
the SSE headers as curl -H (fetch_file), and DeleteObject by the
controller once transferred. --key-pattern BUCKET=REGEX holds a bucket's
keys to a shape (the plugin's s3_path, <instance-id>/<remote path>).
--kms-key-arn BUCKET=ARN names the bucket's key as the test's outputs do;
IAM still decides on the key of the stacks.

STS GetCallerIdentity answers the caller's role as an assumed-role session.
Secrets Manager (JSON protocol, X-Amz-Target secretsmanager.GetSecretValue):
secretsmanager:GetSecretValue on the secret's ARN and kms:Decrypt of its key
through secretsmanager.<region>.amazonaws.com; the value is what
--secret-value NAME=FILE gives, else ResourceNotFoundException as for a
secret with no version yet.

Every request is appended to --log as a JSON line (method, bucket, key,
status, code, principal, why), which the tests read. --describe FILE writes
the buckets, keys, secrets and roles (tests/iam_eval.py describe) the
stand-in serves.

usage: s3_standin.py --port P --root DIR --stack STACK.json... --bucket NAME...
                     --principal KEY=ROLE... --log FILE [--page-size N]
                     [--require-checksum BUCKET]... [--secret-value NAME=FILE]...
                     [--key-pattern BUCKET=REGEX]... [--kms-key-arn BUCKET=ARN]...
                     [--account ID] [--describe FILE] [--listen ADDR]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import threading
import urllib.parse
import uuid
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iam_eval  # noqa: E402

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10000
PRESIGN_MAX_EXPIRES = 7 * 24 * 3600
# S3 subresources (Amazon S3 API Reference): a request naming one is
# another operation than the plain object or bucket request, with its own
# IAM action. Only GetObjectTagging and GetBucketLocation are implemented;
# any other is refused, so nothing is ever answered as if it were GetObject
# or ListObjectsV2.
SUBRESOURCES = {
    "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering", "inventory",
    "legal-hold", "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls",
    "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select",
    "tagging", "torrent", "versioning", "versions", "website",
}


class Refused(Exception):
    """An S3 error answer: status, code, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Store:
    """Objects as files, per bucket: DIR/<bucket>/objects/<sha256 of key>.{data,json};
    multipart parts under DIR/<bucket>/uploads/<upload id>/."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()

    def _dir(self, bucket, *parts):
        d = os.path.join(self.root, bucket, *parts)
        os.makedirs(d, exist_ok=True)
        return d

    def _base(self, bucket, key):
        return os.path.join(self._dir(bucket, "objects"), hashlib.sha256(key.encode()).hexdigest())

    def get(self, bucket, key):
        try:
            with open(self._base(bucket, key) + ".json") as f:
                meta = json.load(f)
        except FileNotFoundError:
            return None, None
        return meta, self._base(bucket, key) + ".data"

    def put(self, bucket, key, data_path, meta):
        """Stores the object (moving data_path in); True if it replaced one."""
        base = self._base(bucket, key)
        with self.lock:
            old, _ = self.get(bucket, key)
            meta["noncurrent_versions"] = (old or {}).get("noncurrent_versions", 0) + (1 if old else 0)
            os.replace(data_path, base + ".data")
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f)
            os.replace(base + ".json.tmp", base + ".json")
            return old is not None

    def delete(self, bucket, key):
        """A delete marker: the object is gone from listings and reads; True if there was one."""
        base = self._base(bucket, key)
        with self.lock:
            existed = os.path.exists(base + ".json")
            for ext in (".json", ".data"):
                try:
                    os.remove(base + ext)
                except FileNotFoundError:
                    pass
            return existed

    def keys(self, bucket):
        out = []
        d = self._dir(bucket, "objects")
        for name in os.listdir(d):
            if name.endswith(".json"):
                with open(os.path.join(d, name)) as f:
                    meta = json.load(f)
                out.append((meta["key"], meta))
        return sorted(out, key=lambda kv: kv[0])

    def temp(self, bucket):
        return os.path.join(self._dir(bucket, "tmp"), uuid.uuid4().hex)

    def upload_dir(self, bucket, upload_id):
        return os.path.join(self._dir(bucket, "uploads"), upload_id)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # botocore sends Expect: 100-continue
    server_version = "AmazonS3"
    sys_version = ""

    def log_message(self, fmt, *args):  # the JSON log replaces stderr noise
        pass

    def parse_request(self):
        """Per request, not per connection: a kept-alive connection carries
        several requests through one handler, and a refusal must still read
        the body it was sent (else its bytes start the next request)."""
        self._drained, self.bucket, self.principal_name = False, "", ""
        return super().parse_request()

    # --- plumbing ---------------------------------------------------------
    def _record(self, status, code="", key="", why=""):
        query = sorted(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))
        entry = {"method": self.command, "path": self.path.split("?")[0], "query": query, "bucket": getattr(self, "bucket", ""), "key": key,
                 "status": status, "code": code, "principal": getattr(self, "principal_name", ""), "why": why}
        with self.server.log_lock, open(self.server.args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _send(self, status, body=b"", headers=None, key="", code="", head=False, why=""):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("x-amz-request-id", "STANDIN")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)
        self._record(status, code, key, why)

    def _error(self, e: Refused, key="", head=False):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{e.code}</Code>'
                f"<Message>{escape(e.message)}</Message><Key>{escape(key)}</Key>"
                "<RequestId>STANDIN</RequestId></Error>").encode()
        self._send(e.status, body, {"Content-Type": "application/xml"}, key=key, code=e.code, head=head, why=e.message)

    def _xml(self, root, children, key="", code="", headers=None):
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">']
        for tag, value in children:
            parts.append(f"<{tag}>{escape(str(value))}</{tag}>")
        parts.append(f"</{root}>")
        self._send(200, "".join(parts).encode(), {"Content-Type": "application/xml", **(headers or {})}, key=key, code=code)

    def _body_to_file(self, path):
        """The request body, streamed to path; returns (size, md5, sha256)."""
        length = int(self.headers.get("Content-Length", "0"))
        md5, sha = hashlib.md5(), hashlib.sha256()
        with open(path, "wb") as f:
            left = length
            while left:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
                md5.update(chunk)
                sha.update(chunk)
                f.write(chunk)
        return length, md5, sha

    def _body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def _authenticate(self):
        """(region, service) of the SigV4 Authorization header or of a
        presigned URL's query; sets self.principal."""
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,", auth)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if not auth and "X-Amz-Credential" in query:
            m = self._presigned({k: v[0] for k, v in query.items()})
        if not m:
            raise Refused(403, "AccessDenied", "stand-in: requests must be signed with SigV4")
        principal = self.server.principals.get(m.group(1))
        if principal is None:
            raise Refused(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        self.principal, self.principal_name = principal, principal.name
        return m.group(3), m.group(4)

    @staticmethod
    def _presigned(q):
        """The credential of a presigned URL, once its validity is checked."""
        if q.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Signature" not in q:
            raise Refused(403, "AccessDenied", "Query-string authentication requires X-Amz-Algorithm and X-Amz-Signature")
        try:
            expires = int(q.get("X-Amz-Expires", ""))
            signed = datetime.strptime(q.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise Refused(403, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires are required") from None
        if not 1 <= expires <= PRESIGN_MAX_EXPIRES:
            raise Refused(403, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds)")
        if (datetime.now(timezone.utc) - signed).total_seconds() > expires:
            raise Refused(403, "AccessDenied", "Request has expired")
        return re.fullmatch(r"([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", q.get("X-Amz-Credential", ""))

    def _allow(self, action, resource, context=None):
        ok, why = self.principal.allowed(action, resource, context)
        if not ok:
            raise Refused(403, "AccessDenied", f"{self.principal.name} is not authorized to perform {action} on {resource}: {why}")

    def _bucket_arn(self, bucket):
        return f"arn:aws:s3:::{bucket}"

    def _kms(self, action, bucket):
        """The KMS call S3 makes for the caller with the bucket's key."""
        b = self.server.buckets[bucket]
        key = b["policy_kms_key_arn"]  # the key as the stacks' policies name it
        if not key:
            return
        context = {
            "kms:ViaService": f"s3.{b['region']}.amazonaws.com",
            "kms:CallerAccount": self.server.describe["account"],
            "kms:EncryptionContext:aws:s3:arn": self._bucket_arn(bucket),
            "kms:ResourceAliases": self.server.aliases.get(key, []),
        }
        ok, why = self.principal.allowed(action, key, context)
        if not ok:
            raise Refused(403, "AccessDenied", f"{self.principal.name} is not authorized to perform {action} on the key of {bucket} ({key}) through S3: {why}")

    def _route(self):
        """(bucket, key, query) of a path-style S3 request, after the checks
        every request gets."""
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        bucket, _, key = urllib.parse.unquote(parsed.path).lstrip("/").partition("/")
        self.bucket = bucket
        region, service = self._authenticate()
        if service != "s3":
            raise Refused(400, "AuthorizationHeaderMalformed", f"the credential scope names {service}, not s3")
        b = self.server.buckets.get(bucket)
        if b is None:
            raise Refused(404, "NoSuchBucket", "The specified bucket does not exist")
        if region != b["region"]:
            raise Refused(400, "AuthorizationHeaderMalformed",
                          f"The authorization header is malformed; the region '{region}' is wrong; expecting '{b['region']}'")
        named = sorted(SUBRESOURCES.intersection(query))
        if named and not (self.command == "GET" and named == (["tagging"] if key else ["location"])):
            raise Refused(501, "NotImplemented", f"stand-in: {self.command} ?{'&'.join(named)} is not implemented")
        pattern = self.server.key_patterns.get(bucket)
        if key and pattern and not pattern.fullmatch(key):
            raise Refused(403, "AccessDenied", f"stand-in contract: the keys of {bucket} are {pattern.pattern}, not {key}")
        return bucket, key, query

    def _sse(self, bucket, key):
        """The project's contract: a write names SSE-KMS and the bucket's own key."""
        h, b = self.headers, self.server.buckets[bucket]
        if h.get("x-amz-server-side-encryption") != "aws:kms":
            raise Refused(403, "AccessDenied", "stand-in contract: a write must request SSE-KMS (x-amz-server-side-encryption: aws:kms)")
        if h.get("x-amz-server-side-encryption-aws-kms-key-id") != b["kms_key_arn"]:
            raise Refused(403, "AccessDenied", f"not authorized to use the requested key {h.get('x-amz-server-side-encryption-aws-kms-key-id')} (the bucket's key is {b['kms_key_arn']})")

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
        if with_checksum and meta.get("checksum_sha256"):
            h["x-amz-checksum-sha256"] = meta["checksum_sha256"]
        for k, v in meta.get("metadata", {}).items():
            h["x-amz-meta-" + k] = v
        return h

    def _new_meta(self, bucket, key, size, etag, sha_b64, content_type, metadata):
        return {
            "key": key, "size": size, "checksum_sha256": sha_b64,
            # SSE-KMS objects' ETags are not the MD5 of their data.
            "etag": etag, "kms_key_id": self.server.buckets[bucket]["kms_key_arn"],
            "content_type": content_type or "binary/octet-stream",
            "mtime": datetime.now(timezone.utc).timestamp(),
            "version_id": base64.urlsafe_b64encode(os.urandom(12)).decode(),
            "metadata": metadata,
        }

    def _source(self):
        """(bucket, key, meta, path) of x-amz-copy-source, read with the
        caller's s3:GetObject and the source key's kms:Decrypt."""
        src = urllib.parse.unquote(self.headers["x-amz-copy-source"]).lstrip("/")
        sbucket, _, skey = src.partition("/")
        skey = skey.split("?versionId=")[0]
        if sbucket not in self.server.buckets:
            raise Refused(404, "NoSuchBucket", f"The specified bucket does not exist: {sbucket}")
        self._allow("s3:GetObject", f"{self._bucket_arn(sbucket)}/{skey}")
        self._kms("kms:Decrypt", sbucket)
        meta, path = self.server.store.get(sbucket, skey)
        if meta is None:
            raise Refused(404, "NoSuchKey", f"The specified key does not exist: {skey}")
        return sbucket, skey, meta, path

    # --- operations -------------------------------------------------------
    def do_PUT(self):
        key = ""
        try:
            # S3 takes no chunked request body (S3 API Reference, "Error
            # responses": NotImplemented, MissingContentLength).
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise Refused(501, "NotImplemented", "A header you provided implies functionality that is not implemented (Transfer-Encoding)")
            if self.headers.get("Content-Length") is None:
                self.close_connection = True
                raise Refused(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
            bucket, key, query = self._route()
            if "partNumber" in query or "uploadId" in query:
                return self._upload_part(bucket, key, query)
            self._allow("s3:PutObject", f"{self._bucket_arn(bucket)}/{key}")
            self._sse(bucket, key)
            self._kms("kms:GenerateDataKey", bucket)
            if self.headers.get("x-amz-copy-source"):
                return self._copy(bucket, key)
            return self._put(bucket, key)
        except Refused as e:
            self._drain()
            self._error(e, key)

    def _drain(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if length and not getattr(self, "_drained", False):
                self._drained = True
                self.rfile.read(length)
        except (OSError, ValueError):
            pass

    def _put(self, bucket, key):
        h = self.headers
        content_sha = h.get("x-amz-content-sha256", "")
        if content_sha.startswith("STREAMING-"):
            raise Refused(501, "NotImplemented", f"stand-in: aws-chunked payloads ({content_sha}) are not implemented")
        tmp = self.server.store.temp(bucket)
        self._drained = True
        size, md5, sha = self._body_to_file(tmp)
        try:
            if re.fullmatch(r"[0-9a-f]{64}", content_sha) and content_sha != sha.hexdigest():
                raise Refused(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
            if h.get("Content-MD5") and h["Content-MD5"] != base64.b64encode(md5.digest()).decode():
                raise Refused(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
            sha_b64 = base64.b64encode(sha.digest()).decode()
            checksum = h.get("x-amz-checksum-sha256")
            if checksum is None and bucket in self.server.args.require_checksum:
                raise Refused(400, "InvalidRequest", "stand-in contract: PutObject must carry x-amz-checksum-sha256")
            if checksum is not None and checksum != sha_b64:
                raise Refused(400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.")
        except Refused:
            os.remove(tmp)
            raise
        etag = hashlib.md5(md5.digest() + self.server.buckets[bucket]["kms_key_arn"].encode()).hexdigest()
        metadata = {k[len("x-amz-meta-"):]: v for k, v in h.items() if k.lower().startswith("x-amz-meta-")}
        meta = self._new_meta(bucket, key, size, etag, sha_b64 if checksum is not None else "", h.get("Content-Type"), metadata)
        replaced = self.server.store.put(bucket, key, tmp, meta)
        headers = {
            "ETag": f'"{etag}"', "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": meta["kms_key_id"],
            "x-amz-server-side-encryption-bucket-key-enabled": "true", "x-amz-version-id": meta["version_id"],
        }
        if checksum is not None:
            headers["x-amz-checksum-sha256"] = sha_b64
        self._send(200, headers=headers, key=key, code="Overwrite" if replaced else "")

    def _copy(self, bucket, key):
        self._drain()
        _, _, smeta, spath = self._source()
        if smeta["size"] > 5 * 1024**3:
            raise Refused(400, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
        tmp = self.server.store.temp(bucket)
        with open(spath, "rb") as fsrc, open(tmp, "wb") as fdst:
            for block in iter(lambda: fsrc.read(1 << 20), b""):
                fdst.write(block)
        etag = hashlib.md5((smeta["etag"] + bucket + key).encode()).hexdigest()
        keep = self.headers.get("x-amz-metadata-directive", "COPY") == "COPY"
        metadata = smeta.get("metadata", {}) if keep else {k[len("x-amz-meta-"):]: v for k, v in self.headers.items() if k.lower().startswith("x-amz-meta-")}
        meta = self._new_meta(bucket, key, smeta["size"], etag, smeta.get("checksum_sha256", ""),
                              smeta["content_type"] if keep else self.headers.get("Content-Type"), metadata)
        replaced = self.server.store.put(bucket, key, tmp, meta)
        modified = datetime.fromtimestamp(meta["mtime"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self._xml("CopyObjectResult", [("ETag", f'"{etag}"'), ("LastModified", modified)], key=key,
                  code="Overwrite" if replaced else "Copy",
                  headers={"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": meta["kms_key_id"],
                           "x-amz-version-id": meta["version_id"]})

    def _upload_dir(self, bucket, key, upload_id):
        d = self.server.store.upload_dir(bucket, upload_id)
        try:
            with open(os.path.join(d, "upload.json")) as f:
                up = json.load(f)
        except (FileNotFoundError, ValueError):
            raise Refused(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.") from None
        if up["key"] != key:
            raise Refused(404, "NoSuchUpload", "The specified upload does not exist for this key.")
        return d

    def _upload_part(self, bucket, key, query):
        q = {k: v[0] for k, v in query.items()}
        self._allow("s3:PutObject", f"{self._bucket_arn(bucket)}/{key}")
        d = self._upload_dir(bucket, key, q.get("uploadId", ""))
        try:
            number = int(q.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PARTS:
            raise Refused(400, "InvalidArgument", f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive")
        part = os.path.join(d, f"{number:05d}.part")
        if self.headers.get("x-amz-copy-source"):
            self._drain()
            _, _, smeta, spath = self._source()
            rng = self.headers.get("x-amz-copy-source-range", "")
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", rng)
            first, last = (int(m.group(1)), int(m.group(2))) if m else (0, smeta["size"] - 1)
            if last >= smeta["size"] or first > last:
                raise Refused(400, "InvalidArgument", f"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy: {rng}")
            md5 = hashlib.md5()
            with open(spath, "rb") as fsrc, open(part, "wb") as fdst:
                fsrc.seek(first)
                left = last - first + 1
                while left:
                    chunk = fsrc.read(min(left, 1 << 20))
                    left -= len(chunk)
                    md5.update(chunk)
                    fdst.write(chunk)
            etag = md5.hexdigest()
            with open(part + ".etag", "w") as f:
                f.write(etag)
            modified = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            return self._xml("CopyPartResult", [("ETag", f'"{etag}"'), ("LastModified", modified)], key=key, code=f"PartCopy:{number}")
        self._drained = True
        _, md5, sha = self._body_to_file(part)
        content_sha = self.headers.get("x-amz-content-sha256", "")
        if re.fullmatch(r"[0-9a-f]{64}", content_sha) and content_sha != sha.hexdigest():
            os.remove(part)
            raise Refused(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        if self.headers.get("Content-MD5") and self.headers["Content-MD5"] != base64.b64encode(md5.digest()).decode():
            os.remove(part)
            raise Refused(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
        with open(part + ".etag", "w") as f:
            f.write(md5.hexdigest())
        self._send(200, headers={"ETag": f'"{md5.hexdigest()}"', "x-amz-server-side-encryption": "aws:kms"}, key=key, code=f"Part:{number}")

    def do_POST(self):
        key = ""
        try:
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path in ("", "/"):
                return self._json_api()
            bucket, key, query = self._route()
            if "uploads" in query:
                self._drain()
                self._allow("s3:PutObject", f"{self._bucket_arn(bucket)}/{key}")
                self._sse(bucket, key)
                self._kms("kms:GenerateDataKey", bucket)
                upload_id = uuid.uuid4().hex
                d = self.server.store.upload_dir(bucket, upload_id)
                os.makedirs(d)
                with open(os.path.join(d, "upload.json"), "w") as f:
                    json.dump({"key": key, "content_type": self.headers.get("Content-Type"),
                               "metadata": {k[len("x-amz-meta-"):]: v for k, v in self.headers.items() if k.lower().startswith("x-amz-meta-")}}, f)
                return self._xml("InitiateMultipartUploadResult", [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)], key=key,
                                 code="CreateMultipartUpload", headers={"x-amz-server-side-encryption": "aws:kms",
                                                                        "x-amz-server-side-encryption-aws-kms-key-id": self.server.buckets[bucket]["kms_key_arn"]})
            if "uploadId" in query:
                return self._complete(bucket, key, query["uploadId"][0])
            if "delete" in query and key == "":
                return self._delete_objects(bucket)
            self._drain()
            raise Refused(501, "NotImplemented", "stand-in: this POST is not implemented")
        except Refused as e:
            self._drain()
            self._error(e, key)

    def _complete(self, bucket, key, upload_id):
        body = self._body()
        self._drained = True
        self._allow("s3:PutObject", f"{self._bucket_arn(bucket)}/{key}")
        # S3 decrypts the parts' data keys to assemble the object.
        self._kms("kms:Decrypt", bucket)
        d = self._upload_dir(bucket, key, upload_id)
        try:
            doc = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise Refused(400, "MalformedXML", "The XML you provided was not well-formed") from None
        parts = []
        for p in doc.iter():
            if p.tag.endswith("Part"):
                n = p.find(f"{{{NS}}}PartNumber") if p.find(f"{{{NS}}}PartNumber") is not None else p.find("PartNumber")
                e = p.find(f"{{{NS}}}ETag") if p.find(f"{{{NS}}}ETag") is not None else p.find("ETag")
                parts.append((int(n.text), e.text.strip('"')))
        if not parts:
            raise Refused(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        if [n for n, _ in parts] != sorted(n for n, _ in parts):
            raise Refused(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
        md5s = b""
        for i, (n, etag) in enumerate(parts):
            path = os.path.join(d, f"{n:05d}.part")
            try:
                with open(path + ".etag") as f:
                    have = f.read()
            except FileNotFoundError:
                have = None
            if have != etag:
                raise Refused(400, "InvalidPart", f"One or more of the specified parts could not be found: part {n}")
            if i < len(parts) - 1 and os.path.getsize(path) < MIN_PART:
                raise Refused(400, "EntityTooSmall", f"Your proposed upload is smaller than the minimum allowed size: part {n} is {os.path.getsize(path)} bytes")
            md5s += bytes.fromhex(etag)
        tmp = self.server.store.temp(bucket)
        sha, size = hashlib.sha256(), 0
        with open(tmp, "wb") as out:
            for n, _ in parts:
                with open(os.path.join(d, f"{n:05d}.part"), "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        sha.update(block)
                        size += len(block)
                        out.write(block)
        with open(os.path.join(d, "upload.json")) as f:
            up = json.load(f)
        etag = f"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"
        meta = self._new_meta(bucket, key, size, etag, "", up.get("content_type"), up.get("metadata", {}))
        replaced = self.server.store.put(bucket, key, tmp, meta)
        for name in os.listdir(d):
            os.remove(os.path.join(d, name))
        os.rmdir(d)
        self._xml("CompleteMultipartUploadResult", [("Location", f"/{bucket}/{key}"), ("Bucket", bucket), ("Key", key), ("ETag", f'"{etag}"')],
                  key=key, code="Overwrite" if replaced else f"Complete:{len(parts)}",
                  headers={"x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": meta["version_id"]})

    def _delete_objects(self, bucket):
        body = self._body()
        self._drained = True
        if self.headers.get("Content-MD5") != base64.b64encode(hashlib.md5(body).digest()).decode():
            raise Refused(400, "InvalidRequest", "Missing or wrong Content-MD5 for DeleteObjects")
        doc = ElementTree.fromstring(body)
        keys = [k.text for k in doc.iter() if k.tag.endswith("Key")]
        out = []
        for k in keys:
            ok, why = self.principal.allowed("s3:DeleteObject", f"{self._bucket_arn(bucket)}/{k}")
            if not ok:
                out.append(f"<Error><Key>{escape(k)}</Key><Code>AccessDenied</Code><Message>{escape(why)}</Message></Error>")
                self._record(403, "AccessDenied", k, why)
                continue
            self.server.store.delete(bucket, k)
            out.append(f"<Deleted><Key>{escape(k)}</Key><DeleteMarker>true</DeleteMarker></Deleted>")
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="{NS}">{"".join(out)}</DeleteResult>'.encode()
        self._send(200, body, {"Content-Type": "application/xml"}, code="DeleteObjects")

    def do_DELETE(self):
        key = ""
        try:
            bucket, key, query = self._route()
            if "uploadId" in query:
                self._allow("s3:AbortMultipartUpload", f"{self._bucket_arn(bucket)}/{key}")
                d = self._upload_dir(bucket, key, query["uploadId"][0])
                for name in os.listdir(d):
                    os.remove(os.path.join(d, name))
                os.rmdir(d)
                return self._send(204, key=key, code="AbortMultipartUpload")
            self._allow("s3:DeleteObject", f"{self._bucket_arn(bucket)}/{key}")
            existed = self.server.store.delete(bucket, key)
            self._send(204, headers={"x-amz-delete-marker": "true"}, key=key, code="DeleteMarker" if existed else "DeleteMissing")
        except Refused as e:
            self._error(e, key)

    def _get_or_head(self, head):
        key = ""
        try:
            bucket, key, query = self._route()
            if key == "" and "location" in query and not head:
                self._allow("s3:GetBucketLocation", self._bucket_arn(bucket))
                body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="{NS}">'
                        f"{escape(self.server.buckets[bucket]['region'])}</LocationConstraint>").encode()
                return self._send(200, body, {"Content-Type": "application/xml"}, code="GetBucketLocation")
            if key == "":
                if head:  # HeadBucket: s3:ListBucket without a prefix
                    self._allow("s3:ListBucket", self._bucket_arn(bucket))
                    return self._send(200, head=True)
                return self._list(bucket, query)
            if "tagging" in query:
                return self._tagging(bucket, key)
            self._allow("s3:GetObject", f"{self._bucket_arn(bucket)}/{key}")
            meta, path = self.server.store.get(bucket, key)
            if meta is None:
                ok, _ = self.principal.allowed("s3:ListBucket", self._bucket_arn(bucket), {})
                if ok:
                    raise Refused(404, "NoSuchKey", "The specified key does not exist.")
                # Not 404: the caller's s3:ListBucket is conditioned on s3:prefix.
                raise Refused(403, "AccessDenied", "Access Denied")
            self._kms("kms:Decrypt", bucket)
            with_checksum = self.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
            headers = self._object_headers(meta, with_checksum)
            if head:
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(meta["size"]))
                self.end_headers()
                self._record(200, "", key)
                return
            # Ranged GETs: the AWS CLI downloads a large object in parts
            # (s3transfer, multipart_chunksize); RFC 9110 byte ranges.
            first, last, status = 0, meta["size"] - 1, 200
            rng = self.headers.get("Range")
            if rng:
                m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
                if not m or int(m.group(1)) >= meta["size"]:
                    raise Refused(416, "InvalidRange", f"The requested range is not satisfiable: {rng}")
                first, status = int(m.group(1)), 206
                last = min(int(m.group(2)), meta["size"] - 1) if m.group(2) else meta["size"] - 1
                headers["Content-Range"] = f"bytes {first}-{last}/{meta['size']}"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(last - first + 1))
            self.end_headers()
            with open(path, "rb") as f:
                f.seek(first)
                left = last - first + 1
                while left:
                    block = f.read(min(left, 1 << 20))
                    if not block:
                        break
                    left -= len(block)
                    self.wfile.write(block)
            self._record(status, "Range" if rng else "", key)
        except Refused as e:
            self._error(e, key, head)

    def _tagging(self, bucket, key):
        """GetObjectTagging: its own action, s3:GetObjectTagging (the AWS
        CLI asks for it before a multipart copy with --copy-props default).
        The stand-in keeps no tags: an empty TagSet."""
        self._allow("s3:GetObjectTagging", f"{self._bucket_arn(bucket)}/{key}")
        meta, _ = self.server.store.get(bucket, key)
        if meta is None:
            raise Refused(404, "NoSuchKey", "The specified key does not exist.")
        self._xml("Tagging", [("TagSet", "")], key=key, code="GetObjectTagging", headers={"x-amz-version-id": meta["version_id"]})

    def do_GET(self):
        self._get_or_head(head=False)

    def do_HEAD(self):
        self._get_or_head(head=True)

    def _list(self, bucket, query):
        q = {k: v[0] for k, v in query.items()}
        if q.get("list-type") != "2":
            raise Refused(501, "NotImplemented", "stand-in: only ListObjectsV2 is implemented")
        prefix = q.get("prefix", "")
        delimiter = q.get("delimiter", "")
        context = {"s3:prefix": prefix} if "prefix" in q else {}
        if delimiter:
            context["s3:delimiter"] = delimiter
        self._allow("s3:ListBucket", self._bucket_arn(bucket), context)
        # botocore asks for encoding-type=url and decodes only what the
        # answer says it encoded.
        enc = (lambda v: urllib.parse.quote(v, safe="/")) if q.get("encoding-type") == "url" else (lambda v: v)
        max_keys = min(int(q.get("max-keys", "1000")), self.server.args.page_size)
        after = q.get("start-after", "")
        token = q.get("continuation-token")
        if token:
            after = base64.b64decode(token).decode()
        entries, seen = [], set()
        for key, meta in self.server.store.keys(bucket):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                cp = prefix + rest.split(delimiter, 1)[0] + delimiter
                if cp not in seen:
                    seen.add(cp)
                    entries.append((cp, "prefix", cp))
            else:
                entries.append((key, "object", meta))
        entries = [e for e in sorted(entries, key=lambda e: e[0]) if e[0] > after]
        page, truncated = entries[:max_keys], len(entries) > max_keys
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{NS}">',
                 f"<Name>{escape(bucket)}</Name><Prefix>{escape(enc(prefix))}</Prefix>",
                 f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>"]
        if delimiter:
            parts.append(f"<Delimiter>{escape(enc(delimiter))}</Delimiter>")
        if q.get("encoding-type") == "url":
            parts.append("<EncodingType>url</EncodingType>")
        parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if token:
            parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if truncated:
            parts.append(f"<NextContinuationToken>{base64.b64encode(page[-1][0].encode()).decode()}</NextContinuationToken>")
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

    # --- STS GetCallerIdentity (query) and Secrets Manager (JSON 1.1) ---------
    def _json_api(self):
        body = self._body()
        self._drained = True
        target = self.headers.get("X-Amz-Target", "")
        form = urllib.parse.parse_qs(body.decode(errors="replace")) if not target else {}
        if form.get("Action") == ["GetCallerIdentity"]:
            try:
                self._authenticate()
            except Refused as e:
                return self._error(e)
            # An assumed role's session, as STS answers for one (STS API
            # Reference, GetCallerIdentity): the ARN a manifest records.
            role = self.principal.arn.split(":role/", 1)[1]
            arn = f"arn:aws:sts::{self.server.describe['account']}:assumed-role/{role}/stand-in"
            xml = (f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
                   f"<Arn>{escape(arn)}</Arn><UserId>AROASTANDIN:stand-in</UserId><Account>{self.server.describe['account']}</Account>"
                   "</GetCallerIdentityResult><ResponseMetadata><RequestId>STANDIN</RequestId></ResponseMetadata></GetCallerIdentityResponse>")
            return self._send(200, xml.encode(), {"Content-Type": "text/xml"}, code="GetCallerIdentity")

        def answer(status, doc, code=""):
            payload = json.dumps(doc).encode()
            self._send(status, payload, {"Content-Type": "application/x-amz-json-1.1"}, key=doc.get("Name", ""), code=code,
                       why=doc.get("Message", ""))

        try:
            region, service = self._authenticate()
        except Refused as e:
            return answer(400, {"__type": "UnrecognizedClientException", "Message": e.message}, "UnrecognizedClientException")
        if service != "secretsmanager" or target != "secretsmanager.GetSecretValue":
            return answer(400, {"__type": "UnknownOperationException", "Message": f"stand-in: {service} {target} is not implemented"}, "UnknownOperation")
        sid = json.loads(body or b"{}").get("SecretId", "")
        secret = next((s for n, s in self.server.describe["secrets"].items() if sid in (n, s["arn"])), None)
        if secret is None or secret["region"] != region:
            return answer(400, {"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."}, "ResourceNotFoundException")
        name = next(n for n, s in self.server.describe["secrets"].items() if s is secret)
        for action, resource, context in (
            ("secretsmanager:GetSecretValue", secret["arn"], {}),
            ("kms:Decrypt", secret["kms_key_arn"], {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                                                     "kms:CallerAccount": self.server.describe["account"],
                                                     "kms:ResourceAliases": self.server.aliases.get(secret["kms_key_arn"], [])}),
        ):
            ok, why = self.principal.allowed(action, resource, context)
            if not ok:
                return answer(400, {"__type": "AccessDeniedException", "Message": f"User: {self.principal.arn} is not authorized to perform: {action} on resource: {resource} ({why})"}, "AccessDeniedException")
        path = self.server.secret_values.get(name)
        if path is None:
            return answer(400, {"__type": "ResourceNotFoundException",
                                "Message": "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"}, "ResourceNotFoundException")
        with open(path, encoding="utf-8") as f:
            value = f.read()
        answer(200, {"ARN": secret["arn"], "Name": name, "SecretString": value, "VersionId": "00000000-0000-0000-0000-000000000001",
                     "VersionStages": ["AWSCURRENT"], "CreatedDate": 1735689600.0}, "GetSecretValue")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--stack", action="append", required=True, help="a synthesized stack (or an overlay) to read the principals and buckets from")
    p.add_argument("--bucket", action="append", required=True, help="a bucket of the stacks to serve")
    p.add_argument("--principal", action="append", required=True, help="ACCESS_KEY=ROLE_NAME")
    p.add_argument("--log", required=True)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--require-checksum", action="append", default=[], help="a bucket whose PutObject must carry x-amz-checksum-sha256")
    p.add_argument("--secret-value", action="append", default=[], help="SECRET_NAME=FILE")
    p.add_argument("--account", default=iam_eval.ACCOUNT)
    p.add_argument("--describe", help="write what the stand-in serves (buckets, keys, secrets, roles) here as JSON")
    p.add_argument("--key-pattern", action="append", default=[], help="BUCKET=REGEX: every key of the bucket matches it")
    p.add_argument("--kms-key-arn", action="append", default=[], help="BUCKET=ARN: the bucket's key as the test names it")
    p.add_argument("--listen", default="127.0.0.1")
    args = p.parse_args()
    stacks = iam_eval.Stacks(args.stack, args.account)
    describe = stacks.describe()
    buckets = {}
    for b in args.bucket:
        if b not in describe["buckets"]:
            p.error(f"--bucket {b}: not a bucket of the stacks read ({', '.join(sorted(describe['buckets']))})")
        buckets[b] = {**describe["buckets"][b], "policy_kms_key_arn": describe["buckets"][b]["kms_key_arn"]}
    for spec in args.kms_key_arn:
        b, _, arn = spec.partition("=")
        if b not in buckets:
            p.error(f"--kms-key-arn {spec}: {b} is not a --bucket")
        buckets[b]["kms_key_arn"] = arn
    key_patterns = {}
    for spec in args.key_pattern:
        b, _, rx = spec.partition("=")
        if b not in buckets:
            p.error(f"--key-pattern {spec}: {b} is not a --bucket")
        key_patterns[b] = re.compile(rx)
    principals = {}
    for spec in args.principal:
        key, _, role = spec.partition("=")
        principals[key] = stacks.principal(role)
    aliases = {}
    for alias, arn in describe["keys"].items():
        aliases.setdefault(arn, []).append(alias)
    secret_values = {}
    for spec in args.secret_value:
        name, _, path = spec.partition("=")
        if name not in describe["secrets"]:
            p.error(f"--secret-value {name}: not a secret of the stacks read")
        secret_values[name] = path
    if args.describe:
        with open(args.describe, "w") as f:
            json.dump({**describe, "buckets": {**describe["buckets"], **buckets}, "served": sorted(buckets)}, f, indent=1, sort_keys=True)
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.args, server.store, server.log_lock = args, Store(args.root), threading.Lock()
    server.buckets, server.principals, server.describe = buckets, principals, describe
    server.aliases, server.secret_values, server.key_patterns = aliases, secret_values, key_patterns
    server.serve_forever()


if __name__ == "__main__":
    main()
