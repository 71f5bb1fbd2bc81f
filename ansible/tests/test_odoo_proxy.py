"""The local reverse proxy in front of Odoo, for real (pytest).

The role's nginx template is rendered by Ansible, checked by `nginx -t`, and
run by nginx (on loopback, in a temporary prefix) in front of two fake Odoo
upstreams (HTTP and websocket) that record the WSGI environ they receive.
Requests are shaped like an Application Load Balancer's, and the environ is
then put through what Odoo 18 does with it (odoo/http.py Application.__call__):

    if config['proxy_mode'] and environ.get("HTTP_X_FORWARDED_HOST"):
        ProxyFix(fake_app)(environ, fake_start_response)

with ProxyFix = werkzeug's ProxyFix(x_for=1, x_proto=1, x_host=1), as
odoo/http.py binds it. So the client address, scheme and host asserted below
are the ones Odoo would use.
"""

import http.client
import json
import os
import pathlib
import re
import socket
import subprocess
import threading
import time

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

ANSIBLE = pathlib.Path(__file__).resolve().parents[1]
ROLE = ANSIBLE / "roles" / "odoo_setup"
HOST = "odoo.staging.influencegen.example.com"
CLIENT = "198.51.100.7"  # the browser, as the load balancer appends it


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def odoo_view(environ, proxy_mode=True):
    """What Odoo 18 makes of an environ: remote_addr, scheme, host, url."""
    environ = dict(environ)
    if proxy_mode and environ.get("HTTP_X_FORWARDED_HOST"):
        ProxyFix(lambda e, s: [], x_for=1, x_proto=1, x_host=1)(environ, lambda status, headers: None)
    req = Request(environ)
    return {"remote_addr": req.remote_addr, "scheme": req.scheme, "host": req.host, "url": req.url}


class FakeOdoo:
    """A WSGI server recording the environ of each request (werkzeug's
    server, as Odoo's is)."""

    def __init__(self, label, port):
        self.label, self.requests = label, []
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen = {k: v for k, v in environ.items() if isinstance(v, str)}
        seen["body_length"] = len(body)
        self.requests.append(seen)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"upstream": self.label}).encode()]

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def render(tmp_path, **overrides):
    """Render the role's nginx template with its defaults, through Ansible."""
    dest = tmp_path / "odoo-nginx.conf"
    extra = ["-e", f"@{ROLE / 'defaults' / 'main.yml'}"]
    for k, v in overrides.items():
        extra += ["-e", f"{k}={v}"]
    subprocess.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", "ansible.builtin.template",
         "-a", f"src={ROLE / 'templates' / 'nginx-odoo.conf.j2'} dest={dest} mode=0644", *extra],
        cwd=ANSIBLE, check=True, capture_output=True, text=True,
        env={**os.environ, "ANSIBLE_BECOME": "false", "ANSIBLE_NOCOLOR": "1"},
    )
    return dest


def nginx_conf(tmp_path, site):
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (tmp_path / d).mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;\n"
        f"  include {site};\n"
        "}\n"
    )
    return conf


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("odoo-proxy")
    ports = {"odoo_proxy_port": free_port(), "odoo_http_port": free_port(), "odoo_gevent_port": free_port()}
    site = render(tmp, odoo_proxy_access_log=tmp / "logs" / "odoo-access.log", odoo_proxy_error_log=tmp / "logs" / "odoo-error.log", **ports)
    conf = nginx_conf(tmp, site)
    check = subprocess.run(["nginx", "-t", "-p", str(tmp), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    http_up, ws_up = FakeOdoo("http", ports["odoo_http_port"]), FakeOdoo("websocket", ports["odoo_gevent_port"])
    nginx = subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", ports["odoo_proxy_port"]), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, nginx.stderr.read()
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield {"port": ports["odoo_proxy_port"], "http": http_up, "websocket": ws_up, "site": site.read_text(), "ports": ports}
    finally:
        nginx.terminate()
        nginx.wait(10)
        http_up.stop()
        ws_up.stop()


def alb_request(port, path, method="GET", headers=None, body=None, client_xff=None):
    """A request as the ALB forwards it: Host kept, X-Forwarded-Proto/Port
    set, the client's address appended to any X-Forwarded-For it sent."""
    h = {
        "Host": HOST,
        "X-Forwarded-For": f"{client_xff}, {CLIENT}" if client_xff else CLIENT,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
    }
    h.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def test_odoo_sees_the_client_https_and_the_public_host(proxy):
    status, data = alb_request(proxy["port"], "/web/login?redirect=%2Fodoo")
    assert status == 200 and json.loads(data) == {"upstream": "http"}
    env = proxy["http"].requests[-1]
    assert env["HTTP_X_FORWARDED_HOST"] == HOST, "without X-Forwarded-Host Odoo ignores every forwarded header"
    assert env["HTTP_X_FORWARDED_FOR"] == CLIENT and env["HTTP_X_FORWARDED_PROTO"] == "https"
    view = odoo_view(env)
    assert view == {"remote_addr": CLIENT, "scheme": "https", "host": HOST, "url": f"https://{HOST}/web/login?redirect=%2Fodoo"}


def test_a_client_cannot_choose_its_address(proxy):
    alb_request(proxy["port"], "/web", client_xff="203.0.113.66")
    view = odoo_view(proxy["http"].requests[-1])
    assert view["remote_addr"] == CLIENT, "x_for=1 trusts the last hop only: the one the load balancer appended"


def test_without_the_proxy_odoo_sees_the_load_balancer_and_http(proxy):
    """The defect this proxy fixes: the ALB sends no X-Forwarded-Host, so
    Odoo's proxy_mode does nothing with a request straight from it."""
    status, _ = alb_request(proxy["ports"]["odoo_http_port"], "/web/login")
    assert status == 200
    view = odoo_view(proxy["http"].requests[-1])
    assert view["remote_addr"] == "127.0.0.1" and view["scheme"] == "http"


def test_websocket_upgrades_go_to_the_gevent_worker(proxy):
    status, data = alb_request(proxy["port"], "/websocket?version=18.0-1", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    })
    assert status == 200 and json.loads(data) == {"upstream": "websocket"}
    env = proxy["websocket"].requests[-1]
    assert env["HTTP_UPGRADE"] == "websocket" and env["HTTP_CONNECTION"].lower() == "upgrade"
    assert env["HTTP_SEC_WEBSOCKET_KEY"] == "dGhlIHNhbXBsZSBub25jZQ=="
    assert odoo_view(env)["remote_addr"] == CLIENT and odoo_view(env)["scheme"] == "https"


def test_plain_requests_do_not_ask_for_an_upgrade(proxy):
    alb_request(proxy["port"], "/web/health")
    env = proxy["http"].requests[-1]
    assert env["PATH_INFO"] == "/web/health" and "HTTP_UPGRADE" not in env


def test_attachments_up_to_odoos_own_limit_pass(proxy):
    body = b"x" * (20 * 2**20)
    status, _ = alb_request(proxy["port"], "/web/binary/upload_attachment", method="POST", body=body,
                            headers={"Content-Type": "application/octet-stream"})
    assert status == 200 and proxy["http"].requests[-1]["body_length"] == len(body)


def test_timeouts_outlast_the_load_balancer(proxy):
    site = proxy["site"]

    def seconds(directive):
        m = re.search(rf"^\s*{directive}\s+(\d+)s?;", site, re.M)
        assert m, f"{directive} is not set"
        return int(m.group(1))

    # nginx must not close a keep-alive connection the ALB (idle timeout
    # 120 s) may still reuse: that would be a 502 for the next request.
    assert seconds("keepalive_timeout") > 120
    assert seconds("proxy_read_timeout") >= 120 and seconds("proxy_send_timeout") >= 120
    assert re.search(r"client_max_body_size\s+128m;", site), "Odoo accepts 128 MiB (odoo/http.py DEFAULT_MAX_CONTENT_LENGTH)"
