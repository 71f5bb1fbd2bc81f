#!/usr/bin/python3
"""What `cdktf deploy dev-stack` would leave for Ansible, for the stand-in
hosts: outputs/dev.json (the synthesized stack's outputs with every
reference resolved, as Terraform resolves it after an apply), the values of
its SSM parameters (the CloudWatch agent configurations, as synthesized)
and of its secrets (new random values, which the test then looks for where
they must not be), and a static inventory of the stand-in hosts, grouped as
the aws_ec2 inventory groups them (the AnsibleGroup tag) with the variables
its compose: block sets (inventories/dev/aws_ec2.yml).

Reads the synthesized stack e2etest/testdata/dev-stack.json (the golden
snapshot the Go tests keep equal to the synthesis).

usage: DB_HOST=name DB_MASTER_PASSWORD=pw fixture.py STACK_JSON WORK_DIR HOSTS_JSON
  DB_HOST, DB_MASTER_PASSWORD: the stand-in database's name and master password
  HOSTS_JSON: [{"resource": "<aws_instance name>", "id": "i-...", "ip": "10.…"}, ...]
Writes WORK_DIR/outputs/dev.json, WORK_DIR/ansible/inventories/dev/hosts.yml,
WORK_DIR/parameters.json, WORK_DIR/secrets.json (ARN → value),
WORK_DIR/secret-values.txt (one value a line: what must leak nowhere).
"""

import json
import os

import yaml
import re
import secrets
import sys
import uuid

ACCOUNT = "123456789012"
REGION = "eu-central-1"


def main(stack_path, work, hosts_path):
    stack = json.load(open(stack_path))
    hosts = json.load(open(hosts_path))
    res = stack["resource"]
    by_resource = {h["resource"]: h for h in hosts}

    def fake_uuid(name):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    secret_values = {}

    def resolve_ref(ref):
        if ref == "data.aws_caller_identity.caller.account_id":
            return ACCOUNT
        m = re.fullmatch(r"(\w+)\.([\w-]+)\.(.+)", ref)
        rtype, name, attr = m.groups()
        r = res.get(rtype, {}).get(name, {})
        if rtype == "aws_instance":
            return {"id": by_resource[name]["id"], "private_ip": by_resource[name]["ip"]}[attr]
        if rtype == "aws_s3_bucket" and attr == "id":
            return resolve(r["bucket"])
        if rtype == "aws_kms_key" and attr == "arn":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{fake_uuid(name)}"
        if rtype == "aws_secretsmanager_secret" and attr == "arn":
            arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{resolve(r['name'])}-{fake_uuid(name)[:6]}"
            secret_values.setdefault(arn, secrets.token_urlsafe(24))
            return arn
        if rtype == "aws_db_instance":
            if attr == "address":
                return os.environ["DB_HOST"]
            if attr == "master_user_secret[0].secret_arn":
                # The master user's secret, as RDS manages it: the stand-in
                # database's own credentials.
                arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-{fake_uuid(name)}-AbCdEf"
                secret_values.setdefault(arn, json.dumps({"username": "dbadmin", "password": os.environ["DB_MASTER_PASSWORD"]}))
                return arn
        if rtype == "aws_elasticache_replication_group" and attr == "primary_endpoint_address":
            return "master.redis.dev.standin.internal"
        if rtype == "aws_efs_file_system" and attr == "id":
            return "fs-" + fake_uuid(name).replace("-", "")[:17]
        if rtype == "aws_efs_access_point" and attr == "id":
            return "fsap-" + fake_uuid(name).replace("-", "")[:17]
        if rtype == "aws_ebs_volume" and attr == "id":
            return "vol-" + fake_uuid(name).replace("-", "")[:17]
        if attr == "arn":
            return f"arn:aws:{rtype.split('_')[1]}:{REGION}:{ACCOUNT}:{name}"
        return f"{name}-{attr}"

    def resolve(v):
        if isinstance(v, str):
            # Terraform: "$${" is a literal "${" (the agent's own ${aws:InstanceId}).
            return re.sub(r"\$(\$?)\{([^}]+)\}",
                          lambda m: "${" + m.group(2) + "}" if m.group(1) else resolve_ref(m.group(2)), v)
        if isinstance(v, list):
            return [resolve(x) for x in v]
        if isinstance(v, dict):
            return {k: resolve(x) for k, x in v.items()}
        return v

    outputs = {k: resolve(v["value"]) for k, v in stack["output"].items()}
    os.makedirs(os.path.join(work, "outputs"), exist_ok=True)
    with open(os.path.join(work, "outputs", "dev.json"), "w") as f:
        json.dump({"dev-stack": outputs}, f, indent=2)
    parameters = {resolve(p["name"]): resolve(p["value"]) for p in res.get("aws_ssm_parameter", {}).values()}
    with open(os.path.join(work, "parameters.json"), "w") as f:
        json.dump(parameters, f)
    with open(os.path.join(work, "secrets.json"), "w") as f:
        json.dump(secret_values, f)
    with open(os.path.join(work, "secret-values.txt"), "w") as f:
        for v in secret_values.values():
            try:
                f.write("\n".join(str(x) for x in json.loads(v).values() if len(str(x)) >= 16) + "\n")
            except ValueError:
                f.write(v + "\n")

    groups = {}
    for name, inst in res["aws_instance"].items():
        h = by_resource[name]
        tags = inst["tags"]
        groups.setdefault(tags["AnsibleGroup"], {})[h["id"]] = {
            "ansible_host": h["id"], "private_ip": h["ip"], "server_role": tags["Role"],
            "availability_zone": REGION + "a",
        }
    inventory = {"all": {"children": {"dev": {"hosts": {i: {} for g in groups.values() for i in g}},
                                      **{g: {"hosts": hs} for g, hs in groups.items()}}}}
    # group_vars/all reads {{ inventory_dir }}/../../../outputs/<env>.json.
    inventory_dir = os.path.join(work, "ansible", "inventories", "dev")
    os.makedirs(inventory_dir, exist_ok=True)
    with open(os.path.join(inventory_dir, "hosts.yml"), "w") as f:
        yaml.safe_dump(inventory, f, default_flow_style=False)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    main(*sys.argv[1:])
