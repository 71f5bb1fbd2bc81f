#!/usr/bin/python3
"""A local stand-in for the AWS JSON APIs the Ansible controller calls while
it configures the servers over Session Manager, with the contract read from
the callers' sources:

- AmazonSSM.StartSession / TerminateSession: what community.aws 5.5.0's
  aws_ssm connection plugin calls (plugins/connection/aws_ssm.py,
  start_session() line 481 with Target and Parameters={}, close() line 927).
  StartSession answers SessionId, TokenValue and StreamUrl (the shape of
  botocore's ssm service-2.json StartSessionResponse); the Target must be a
  running instance of this stand-in (TargetNotConnected otherwise, as SSM
  answers for an instance whose agent is not registered).
- The session's data channel (StreamUrl): the real session-manager-plugin
  opens a WebSocket there with TokenValue (session-manager-plugin
  src/sessionmanagerplugin/session/session.go OpenDataChannel). The stand-in
  plugin (session-manager-plugin beside this file) GETs it with the token
  and learns which stand-in host to open the shell in; a wrong token, an
  unknown or terminated session is refused (403), as the service refuses
  the WebSocket handshake.
- AmazonSSM.GetParameter: the amazon.aws.aws_ssm lookup of the CloudWatch
  agent configuration (group_vars/all: cloudwatch_agent_parameter).
- secretsmanager.GetSecretValue: the amazon.aws.aws_secret lookups of
  group_vars/all (secret_arns.*, db_master_secret_arn).

Every request must be SigV4-signed with the expected access key for the
region and the service's signing name (the signature is not recomputed).
Every call is appended to --log as a JSON line (target, status, code,
session). State: --state DIR holds hosts/<instance-id>.json (written by the
test when a host is up: {"pid": <its init's pid>}) and sessions/<id>.json.

usage: aws_standin.py --listen ADDR --port P --state DIR --region R
                      --access-key AKID --parameters FILE --secrets FILE --log FILE
"""

import argparse
import json
import os
import re
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _record(self, **entry):
        with self.server.log_lock, open(self.server.args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _send(self, status, payload, target, code="", **extra):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "standin-" + secrets.token_hex(8))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._record(target=target, status=status, code=code, **extra)

    def _error(self, status, code, message, target):
        self._send(status, {"__type": code, "message": message}, target, code)

    # The data channel: GET /v1/data-channel/<session>?token=...
    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        m = re.fullmatch(r"/v1/data-channel/([A-Za-z0-9-]+)", parsed.path)
        token = urllib.parse.parse_qs(parsed.query).get("token", [""])[0]
        if not m:
            return self._error(404, "NotFound", "no such path", "data-channel")
        sid = m.group(1)
        session = self._session(sid)
        if session is None or session.get("terminated") or not secrets.compare_digest(session["token"], token):
            return self._error(403, "AccessDeniedException", "the session's token does not open this channel", "data-channel")
        host = self._host(session["target"])
        if host is None:
            return self._error(403, "TargetNotConnected", f"{session['target']} is not connected.", "data-channel")
        self._send(200, {"target": session["target"], "pid": host["pid"]}, "data-channel", session=sid)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        service = {"AmazonSSM": "ssm", "secretsmanager": "secretsmanager"}.get(target.split(".")[0])
        auth = self.headers.get("Authorization", "")
        a = self.server.args
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,", auth)
        if service is None:
            return self._error(400, "UnknownOperationException", f"stand-in: {target} is not implemented", target)
        if not m:
            return self._error(403, "MissingAuthenticationTokenException", "Request is missing Authentication Token", target)
        if m.group(1) != a.access_key:
            return self._error(403, "UnrecognizedClientException", "The security token included in the request is invalid.", target)
        if m.group(3) != a.region or m.group(4) != service:
            return self._error(403, "InvalidSignatureException", f"Credential should be scoped to a valid region/service ({a.region}/{service})", target)
        op = target.split(".", 1)[1]
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            return self._error(400, "UnknownOperationException", f"stand-in: {target} is not implemented", target)
        handler(target, body)

    # --- state -------------------------------------------------------------
    def _path(self, kind, name):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            return None
        return os.path.join(self.server.args.state, kind, name + ".json")

    def _read(self, kind, name):
        path = self._path(kind, name)
        try:
            with open(path) as f:
                return json.load(f)
        except (TypeError, FileNotFoundError):
            return None

    def _host(self, target):
        return self._read("hosts", target)

    def _session(self, sid):
        return self._read("sessions", sid)

    def _write_session(self, sid, data):
        path = self._path("sessions", sid)
        with open(path + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(path + ".tmp", path)

    # --- operations ----------------------------------------------------------
    def op_StartSession(self, target, body):
        instance = body.get("Target", "")
        if not re.fullmatch(r"i-[0-9a-f]{8,17}", instance):
            return self._error(400, "ValidationException", f"Target {instance!r} is not an instance id", target)
        if self._host(instance) is None:
            return self._error(400, "TargetNotConnected", f"{instance} is not connected.", target)
        if "DocumentName" in body:
            return self._error(400, "ValidationException", "stand-in: the inventory names no SSM document", target)
        sid = f"{self.server.args.access_key.lower()}-{secrets.token_hex(8)}"
        token = secrets.token_urlsafe(96)
        self._write_session(sid, {"target": instance, "token": token, "terminated": False})
        host, port = self.server.server_address[:2]
        stream = f"http://{host}:{port}/v1/data-channel/{sid}?role=publish_subscribe&cell-number=standin"
        self._send(200, {"SessionId": sid, "TokenValue": token, "StreamUrl": stream}, target, session=sid, instance=instance)

    def op_TerminateSession(self, target, body):
        sid = body.get("SessionId", "")
        session = self._session(sid)
        if session is not None:
            session["terminated"] = True
            self._write_session(sid, session)
        # SSM answers the id even for an unknown or ended session.
        self._send(200, {"SessionId": sid}, target, session=sid)

    def op_GetParameter(self, target, body):
        name = body.get("Name", "")
        with open(self.server.args.parameters) as f:  # read per call: the test may change them
            value = json.load(f).get(name)
        if value is None:
            return self._error(400, "ParameterNotFound", "", target)
        self._send(200, {"Parameter": {"Name": name, "Type": "String", "Value": value, "Version": 1,
                                       "ARN": f"arn:aws:ssm:{self.server.args.region}:123456789012:parameter{name}",
                                       "DataType": "text"}}, target, name=name)

    def op_GetSecretValue(self, target, body):
        sid = body.get("SecretId", "")
        with open(self.server.args.secrets) as f:
            value = json.load(f).get(sid)
        if value is None:
            return self._error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", target)
        self._send(200, {"ARN": sid, "Name": sid.rsplit(":", 1)[-1], "SecretString": value,
                         "VersionId": "standin", "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.7e9}, target, secret=sid)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag in ("--listen", "--state", "--region", "--access-key", "--parameters", "--secrets", "--log"):
        p.add_argument(flag, required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    for kind in ("hosts", "sessions"):
        os.makedirs(os.path.join(args.state, kind), exist_ok=True)
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.args = args
    server.log_lock = threading.Lock()
    server.serve_forever()


if __name__ == "__main__":
    main()
