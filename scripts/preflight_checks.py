#!/usr/bin/env python3
"""Judges the deploy preflight (scripts/preflight.sh).

preflight.sh asks AWS (AWS CLI, --output json) and saves each answer in a
work directory beside facts.json (`go run . facts ENV`); this program reads
them and says, for one check, whether the account can take the
environment, and if not, what to request or change.

    preflight_checks.py judge WORKDIR CHECK...  print each check's verdict, in order;
                                                exit 1 if any failed (their names in WORKDIR/failed)
    preflight_checks.py quota-codes WORKDIR     the vCPU quotas the environment's types draw on
    preflight_checks.py running-types WORKDIR   instance types running in the region

A verdict is "ok   NAME: ..." or "FAIL NAME: ..." followed by indented
"fix:" lines; a check never stops at its first problem. preflight.sh marks a
check it skipped with WORKDIR/skipped-NAME, and one whose AWS calls failed
with WORKDIR/not-asked-NAME.txt (the commands and AWS's messages).

Quota codes, and where they were verified (each is also checked at run time
against the QuotaName AWS returns, so a wrong or renamed code fails loudly):
  L-1216C47A  ec2  Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances
              AWS CLI reference, service-quotas get-service-quota and
              get-aws-default-service-quota examples (aws/aws-cli,
              awscli/examples/service-quotas/)
  L-DB2E81BA  ec2  Running On-Demand G and VT instances
  L-417A185B  ec2  Running On-Demand P instances
              both in public deploy tooling that queries them
              (e.g. `QUOTA_CODE_ON_DEMAND = "L-DB2E81BA"` for g4dn/g5/g6/vt1,
              "p": on-demand "L-417A185B"); AWS documents only the names
              (EC2 User Guide, "On-Demand Instance quotas")
  L-0263D0A3  ec2  EC2-VPC Elastic IPs
              public tooling (tedilabs/terraform-aws-account
              "ec2/eips-per-region" = "L-0263D0A3", and others)
  L-F678F1CE  vpc  VPCs per Region
              Terraform AWS provider docs, data aws_servicequotas_service_quota
              example (quota_code "L-F678F1CE", quota_name "VPCs per Region")
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# quota code -> (service code, a phrase its QuotaName must contain, the name)
QUOTAS = {
    "L-1216C47A": ("ec2", "standard", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
    "L-DB2E81BA": ("ec2", "g and vt", "Running On-Demand G and VT instances"),
    "L-417A185B": ("ec2", "p instances", "Running On-Demand P instances"),
    "L-0263D0A3": ("ec2", "elastic ip", "EC2-VPC Elastic IPs"),
    "L-F678F1CE": ("vpc", "vpcs per region", "VPCs per Region"),
}
# On-Demand vCPU quota class -> quota code.
VCPU_QUOTA = {"standard": "L-1216C47A", "gvt": "L-DB2E81BA", "p": "L-417A185B"}
# Families whose first letter would mislead: each has a quota of its own
# (Inf, DL, Trn, HPC, Mac dedicated hosts, High Memory) that this
# preflight does not check.
OWN_QUOTA_PREFIXES = ("inf", "dl", "trn", "hpc", "mac", "u-", "u7")
ZONE_FIELDS = "Account.PrimaryZoneIDs (production, staging) or Account.DevZoneIDs (dev) in environments/account.go"


class BadInput(Exception):
    """An AWS answer that does not have the shape the AWS CLI gives."""


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def vcpu_class(instance_type: str) -> str | None:
    """The On-Demand vCPU quota an instance type draws on, or None if this
    preflight does not know it."""
    fam = family(instance_type)
    if fam.startswith(OWN_QUOTA_PREFIXES):
        return None
    if fam.startswith(("g", "vt")):
        return "gvt"
    if fam.startswith("p"):
        return "p"
    if fam[:1] in set("acdhimrtz"):
        return "standard"
    return None


class Work:
    """The facts and the saved AWS answers of one preflight run."""

    def __init__(self, path: Path):
        self.path = path
        self.facts = self.load("facts.json")

    def load(self, name: str):
        try:
            return json.loads((self.path / name).read_text())
        except FileNotFoundError:
            raise BadInput(f"no {name} in {self.path}: preflight.sh did not save that answer")
        except json.JSONDecodeError as e:
            raise BadInput(f"{name} is not JSON ({e}): was the AWS CLI run with --output json?")

    def files(self, pattern: str) -> list[Path]:
        return sorted(self.path.glob(pattern))

    def owned(self, tags: list | None) -> bool:
        """Whether a resource carries the stack's Project and Environment tags."""
        have = {t.get("Key"): t.get("Value") for t in tags or []}
        return all(have.get(k) == v for k, v in self.facts["tags"].items())

    def instance_types(self) -> dict[str, dict]:
        out = {}
        for f in self.files("instance-types-*.json"):
            for t in self.load(f.name).get("InstanceTypes", []):
                out[t["InstanceType"]] = t
        return out

    def quota(self, code: str) -> tuple[float, str, list[str]]:
        """The applied (or default) value of a quota, its name, and problems."""
        q = self.load(f"quota-{code}.json")
        if "Quota" not in q:
            raise BadInput(f"quota-{code}.json has no Quota: not a get-service-quota answer")
        q = q["Quota"]
        service, phrase, name = QUOTAS[code]
        problems = []
        got = q.get("QuotaName", "")
        if q.get("QuotaCode") != code or phrase not in got.lower():
            problems.append(
                f"quota code {code} answered as {q.get('QuotaCode')} {got!r}, not {name!r}: "
                f"the code in scripts/preflight_checks.py is wrong or AWS renamed the quota "
                f"(aws service-quotas list-service-quotas --service-code {service})"
            )
        return float(q["Value"]), got or name, problems


def region_of(w: Work) -> str:
    return w.facts["region"]


def request(w: Work, code: str, value: int) -> str:
    service = QUOTAS[code][0]
    return (
        f"aws service-quotas request-service-quota-increase --service-code {service} "
        f"--quota-code {code} --desired-value {value} --region {region_of(w)}"
    )


def console(code: str) -> str:
    service = QUOTAS[code][0]
    return f"or the console: Service Quotas > AWS services > {service} > {QUOTAS[code][2]} > Request increase"


# --- the checks: each returns (problems, fixes, summary) -------------------


def check_account(w: Work):
    ident = w.load("caller-identity.json")
    want, got = w.facts["account_id"], ident.get("Account")
    if not want:
        return [], [], f"Account.ID is empty (no guard): deploying to {got} as {ident.get('Arn')}"
    if got != want:
        return (
            [f"the credentials are for account {got} ({ident.get('Arn')}), the configuration is for {want} (Account.ID): "
             f"refusing to check or deploy {w.facts['environment']} there"],
            ["use credentials for account " + want + " (AWS_PROFILE, or the role the workflow assumes),"
             " or correct Account.ID in environments/account.go"],
            "",
        )
    return [], [], f"account {got} as {ident.get('Arn')}"


def check_zones(w: Work):
    zones = {z["ZoneId"]: z for z in w.load("availability-zones.json")["AvailabilityZones"]}
    problems = []
    for z in w.facts["zone_ids"]:
        if z not in zones:
            problems.append(f"zone {z} does not exist in {region_of(w)} (its zones: {', '.join(sorted(zones))})")
        elif zones[z].get("State") != "available":
            problems.append(f"zone {z} ({zones[z].get('ZoneName')}) is {zones[z].get('State')}")
    fixes = [f"choose zones of {region_of(w)} that exist and are available: {ZONE_FIELDS}"] if problems else []
    names = ", ".join(f"{z} ({zones[z]['ZoneName']})" for z in w.facts["zone_ids"] if z in zones)
    return problems, fixes, f"zones {names}"


def vcpu_check(w: Work, classes: tuple[str, ...]):
    f = w.facts
    types = w.instance_types()
    problems, fixes, summary = [], [], []
    need: dict[str, int] = {}
    detail: dict[str, list[str]] = {}
    unknown = []
    for t in f["tiers"]:
        if t["count"] <= 0:
            continue
        typ = t["instance_type"]
        cls = vcpu_class(typ)
        if cls is None:
            unknown.append(typ)
            continue
        if cls not in classes:
            continue
        if typ not in types:
            raise BadInput(f"describe-instance-types did not describe {typ}")
        v = int(types[typ]["VCpuInfo"]["DefaultVCpus"])
        need[cls] = need.get(cls, 0) + t["count"] * v
        detail.setdefault(cls, []).append(f"{t['count']} × {typ} ({t['name']}, {v} vCPUs)")
    others: dict[str, int] = {}
    others_n: dict[str, int] = {}
    own: dict[str, int] = {}
    for r in w.load("instances.json").get("Reservations", []):
        for i in r.get("Instances", []):
            if i.get("State", {}).get("Name") not in ("pending", "running"):
                continue
            if i.get("InstanceLifecycle") == "spot":  # Spot has quotas of its own
                continue
            cls = vcpu_class(i["InstanceType"])
            if cls not in classes:
                continue
            if i["InstanceType"] not in types:
                raise BadInput(f"describe-instance-types did not describe the running type {i['InstanceType']}")
            v = int(types[i["InstanceType"]]["VCpuInfo"]["DefaultVCpus"])
            if w.owned(i.get("Tags")):
                own[cls] = own.get(cls, 0) + v
            else:
                others[cls] = others.get(cls, 0) + v
                others_n[cls] = others_n.get(cls, 0) + 1
    for cls in classes:
        if cls not in need:
            continue
        code = VCPU_QUOTA[cls]
        value, name, qp = w.quota(code)
        problems += qp
        total = others.get(cls, 0) + need[cls]
        line = (f"{name} ({code}) in {region_of(w)} is {value:g} vCPUs; {f['environment']} needs {need[cls]} "
                f"({', '.join(detail[cls])}) and {others.get(cls, 0)} are already running outside the stack "
                f"({plural(others_n.get(cls, 0), 'instance')})")
        if own.get(cls):
            line += f"; the stack's own {own[cls]} running vCPUs are part of its need"
        if total > value:
            problems.append(line)
            fixes += [request(w, code, total), console(code)]
        else:
            summary.append(f"{code}: {total} of {value:g} vCPUs")
    if unknown and "standard" in classes:
        problems.append(
            f"this preflight does not know the On-Demand vCPU quota of {', '.join(sorted(set(unknown)))}")
        fixes.append("check it by hand: aws service-quotas list-service-quotas --service-code ec2 "
                     f"--region {region_of(w)} (\"Running On-Demand ... instances\"), then add its code to scripts/preflight_checks.py")
    return problems, fixes, "; ".join(summary) or "no instance type of this class"


def check_standard_vcpus(w: Work):
    return vcpu_check(w, ("standard",))


def check_gpu_vcpus(w: Work):
    return vcpu_check(w, ("gvt", "p"))


def owned_count_check(w: Work, code: str, items: list[dict], need: int, what: str, describe):
    value, name, problems = w.quota(code)
    mine = [i for i in items if w.owned(i.get("Tags"))]
    theirs = [i for i in items if not w.owned(i.get("Tags"))]
    total = len(theirs) + need
    fixes = []
    line = (f"{name} ({code}) in {region_of(w)} is {value:g}; {len(items)} {what} exist, "
            f"{len(mine)} of them the stack's own, and {w.facts['environment']} needs {need}: "
            f"{len(theirs)} + {need} = {total}")
    if total > value:
        problems.append(line)
        fixes += [request(w, code, total), console(code)]
        fixes += describe(theirs)
        return problems, fixes, ""
    return problems, fixes, f"{total} of {value:g} {what}"


def check_elastic_ips(w: Work):
    addrs = w.load("addresses.json")["Addresses"]

    def idle(theirs):
        free = [a for a in theirs if not a.get("AssociationId")]
        if not free:
            return []
        return ["allocated but associated with nothing (billed, and counted): "
                + ", ".join(f"{a.get('PublicIp')} ({a.get('AllocationId')})" for a in free)
                + f"; if nobody needs one: aws ec2 release-address --allocation-id <id> --region {region_of(w)}"]

    return owned_count_check(w, "L-0263D0A3", addrs, w.facts["elastic_ips"], "Elastic IPs", idle)


def check_vpcs(w: Work):
    vpcs = w.load("vpcs.json")["Vpcs"]

    def listing(theirs):
        return ["VPCs of others: " + ", ".join(
            v["VpcId"] + (" (default)" if v.get("IsDefault") else "") for v in theirs)]

    return owned_count_check(w, "L-F678F1CE", vpcs, w.facts["vpcs"], "VPCs", listing)


def check_gpu_zones(w: Work):
    problems, fixes, summary = [], [], []
    for t in w.facts["tiers"]:
        if not t["gpu"] or t["count"] <= 0:
            continue
        typ = t["instance_type"]
        answer = w.load(f"offerings-{typ}.json")["InstanceTypeOfferings"]
        offered = set()
        for o in answer:
            if o.get("InstanceType") != typ:
                raise BadInput(f"offerings-{typ}.json lists {o.get('InstanceType')}: not filtered on instance-type")
            if o.get("LocationType") != "availability-zone-id":
                raise BadInput(f"offerings-{typ}.json has LocationType {o.get('LocationType')}: "
                               "describe-instance-type-offerings needs --location-type availability-zone-id")
            offered.add(o["Location"])
        used = t["zone_ids"]
        missing = [z for z in used if z not in offered]
        for z in missing:
            problems.append(
                f"{typ} ({t['name']}, {plural(t['count'], 'server')}) is not offered in zone {z} of {region_of(w)}, "
                f"where {t['name']} places a server; it is offered in: {', '.join(sorted(offered)) or 'no zone of the region'}")
        if missing:
            good = [z for z in w.facts["zone_ids"] if z in offered]
            more = [z for z in sorted(offered) if z not in good]
            suggestion = (good + more)[: len(w.facts["zone_ids"])]
            if len(suggestion) == len(w.facts["zone_ids"]):
                fixes.append(f"pin zones that offer {typ}: {ZONE_FIELDS}, e.g. {suggestion} (the first Scale.AZCount are used)")
            else:
                fixes.append(f"{typ} is offered in only {len(offered)} zone(s) of {region_of(w)}: choose another "
                             f"GPU instance type (Servers[\"{t['name']}\"]) or region, or fewer zones")
        else:
            idle = [z for z in w.facts["zone_ids"] if z not in offered]
            note = f" (not in {', '.join(idle)}: more servers would land there)" if idle else ""
            summary.append(f"{typ} offered in {', '.join(used)}{note}")
    return problems, fixes, "; ".join(summary) or "no GPU servers"


def check_auto_recovery(w: Work):
    types = w.instance_types()
    problems, fixes, ok = [], [], []
    for typ in w.facts["recover_instance_types"]:
        if typ not in types:
            raise BadInput(f"describe-instance-types did not describe {typ}")
        supported = types[typ].get("AutoRecoverySupported")
        tiers = [t["name"] for t in w.facts["tiers"] if t["instance_type"] == typ and t["recover_alarm"]]
        if supported is not True:
            problems.append(
                f"{typ}: AWS reports AutoRecoverySupported={json.dumps(supported)}, but the system-check alarms of "
                f"{', '.join(tiers)} carry the ec2:recover action: CloudWatch refuses such an alarm at apply "
                f"(PutMetricAlarm ValidationError; docs/deploy-readiness.md D3)")
            fixes.append(f"environments.AutoRecoverySupported is wrong for family {family(typ)}: "
                         f"remove \"{family(typ)}\" from autoRecoveryFamilies in environments/instances.go")
        else:
            ok.append(typ)
    return problems, fixes, ("recover action supported by " + ", ".join(ok)) if ok else "no recover alarms"


def check_hosted_zone(w: Work):
    domain = w.facts["domain"].rstrip(".").lower()
    zones = w.load("hosted-zones.json")["HostedZones"]
    named = [z for z in zones if z["Name"].rstrip(".").lower() == domain]
    public = [z for z in named if not z.get("Config", {}).get("PrivateZone", False)]
    if not public:
        what = "only a private one" if named else "none"
        return (
            [f"no public Route53 hosted zone named {domain} ({what}): the stack looks it up "
             f"(data aws_route53_zone, private_zone = false) to validate the certificate and publish the hostnames"],
            [f"create it and delegate it from the registrar: aws route53 create-hosted-zone --name {domain} "
             f"--caller-reference preflight-$(date +%s), then set the registrar's NS records to its name servers",
             "or set Account.Domain in environments/account.go to a zone this account serves"],
            "",
        )
    if len(public) > 1:
        return (
            [f"{len(public)} public hosted zones are named {domain} ({', '.join(z['Id'] for z in public)}): "
             "the stack's lookup (data aws_route53_zone) fails on more than one match"],
            ["delete the one the registrar does not delegate to (compare its NS records with `dig NS " + domain + "`)"],
            "",
        )
    return [], [], f"public zone {domain} ({public[0]['Id']})"


def check_secrets(w: Work):
    f = w.facts
    prefix = f["secret_prefix"]
    listed = w.load("secrets.json")["SecretList"]
    pending = [s for s in listed if s["Name"].startswith(prefix) and s.get("DeletedDate") is not None]
    problems, fixes = [], []
    for s in pending:
        problems.append(
            f"secret {s['Name']} is scheduled for deletion (deleted {s['DeletedDate']}): creating it again fails "
            f"\"You can't create this secret because a secret with this name is already scheduled for deletion\" "
            f"until the recovery window ends")
        restore = f"aws secretsmanager restore-secret --secret-id {s['Name']} --region {region_of(w)}"
        if f["deletion_protection"]:
            fixes.append(f"restore it (never force-delete a secret of {f['environment']}: it may be the only copy of a key "
                         f"its data needs): {restore}; then import it into the state "
                         f"(docs/runbooks/state.md, \"Importing an existing resource\"; ID: {s['ARN']})")
        else:
            fixes.append(f"keep its value: {restore}; then import it into the state "
                         f"(docs/runbooks/state.md, \"Importing an existing resource\"; ID: {s['ARN']})")
            fixes.append(f"or drop it for good: aws secretsmanager delete-secret --secret-id {s['Name']} "
                         f"--force-delete-without-recovery --region {region_of(w)}")
    active = sum(1 for s in listed if s["Name"].startswith(prefix) and s.get("DeletedDate") is None)
    return problems, fixes, f"no secret under {prefix} is pending deletion ({active} active)"


# The model server's own rules: which plan a GPU loads, what a version
# holds (docker/ai_model_server/app, standard library only).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docker" / "ai_model_server"))
from app import manifest as model_manifest  # noqa: E402
from app import memory  # noqa: E402


def recorded_model(w: Work) -> tuple[str, str]:
    """The version and manifest digest the environment's group_vars record."""
    out = {"ai_model_version": "", "ai_model_manifest_sha256": ""}
    for line in (w.path / "group_vars.yml").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in out:
            out[key] = value.split("#", 1)[0].strip().strip('"')
    return out["ai_model_version"], out["ai_model_manifest_sha256"]


def check_models(w: Work):
    f = w.facts
    env, bucket = f["environment"], f["models"]["bucket"]
    source = f["models"]["source"]
    version, digest = recorded_model(w)
    make = (f"scripts/models.sh promote {source} {env}" if source
            else f"scripts/models.sh supply {env} --revision <commit> (with Scale.QuantizationHost set; docs/runbooks/models.md)")
    first = [f"a first deploy: scripts/deploy_environment.sh {env} --skip-ansible (creates the bucket), then {make}, "
             f"commit ansible/group_vars/{env}.yml, then scripts/deploy_environment.sh {env}"]
    configured = not (w.path / "infrastructure-only").exists()

    def refuse(problem, fixes):
        if configured:
            return [problem], fixes, ""
        return [], [], f"not needed (--infrastructure-only: no server is configured); before configuring: {problem}"

    if not version:
        return refuse(f"no promoted model version for {env} (ai_model_version in ansible/group_vars/{env}.yml): "
                      "its GPU servers would have nothing to load", first)
    if not bucket:
        return refuse("Account.ID is empty: the model bucket's name is not known before the deploy", first)
    if (w.path / "models-no-bucket").exists():
        return refuse(f"the model bucket {bucket} does not exist yet", first)
    listing = {o["Key"]: int(o["Size"]) for o in w.load("models-listing.json").get("Contents", []) or []}
    prefix = f"{model_manifest.BASE_PREFIX}{version}/"
    if prefix + model_manifest.MANIFEST not in listing:
        what = f"{len(listing)} objects but no manifest (an upload that did not finish)" if listing else "nothing"
        return refuse(f"s3://{bucket}/{prefix} holds {what}: {version} was recorded for {env} but is not there", [make])
    m = model_manifest.parse((w.path / "models-manifest.body").read_bytes(), f"s3://{bucket}/{prefix}{model_manifest.MANIFEST}")
    problems = []
    if digest and m.digest() != digest:
        problems.append(f"the manifest of {version} in {bucket} has SHA-256 {m.digest()}, ansible/group_vars/{env}.yml records {digest}")
    problems += [f"{version} in {bucket}: {p}" for p in model_manifest.listing_problems(m, listing, prefix)]
    plans = []
    for typ in f["models"]["gpu_instance_types"]:
        gpu = next((g for g in memory.GPU_CLASSES if g.instance_type == typ), None)
        plan = memory.plan_for(gpu) if gpu else None
        if plan is None:
            problems.append(f"{typ} has no memory plan in docker/ai_model_server/app/memory.py")
            continue
        why = model_manifest.plan_problem(m, plan)
        if why:
            problems.append(f"{env}'s {typ} servers load the {plan.name} plan: {why}")
        plans.append(f"{typ}: {plan.name}")
    if problems:
        fixes = [make + f" (a version {env}'s GPU servers can load)"] if any("plan" in p for p in problems) else [
            f"promote or supply the version again ({make}); scripts/models.sh verify {env} says the same"]
        if not configured:
            return [], [], "not needed (--infrastructure-only); before configuring: " + "; ".join(problems)
        return problems, fixes, ""
    return [], [], f"{version} ({m.digest()[:12]}…) in {bucket}: {len(m.files)} files, {m.total() / memory.GIB:.1f} GiB; loads with {', '.join(plans)}"


CHECKS = {
    "account": check_account,
    "zones": check_zones,
    "standard-vcpus": check_standard_vcpus,
    "gpu-vcpus": check_gpu_vcpus,
    "elastic-ips": check_elastic_ips,
    "vpcs": check_vpcs,
    "gpu-zones": check_gpu_zones,
    "auto-recovery": check_auto_recovery,
    "hosted-zone": check_hosted_zone,
    "secrets": check_secrets,
    "models": check_models,
}


def quota_codes(w: Work) -> list[str]:
    """The vCPU quotas the environment's instance types draw on, then the
    count quotas, as "SERVICE CODE" lines."""
    classes = {vcpu_class(t) for t in w.facts["instance_types"]} - {None}
    codes = [VCPU_QUOTA[c] for c in ("standard", "gvt", "p") if c in classes]
    return [f"{QUOTAS[c][0]} {c}" for c in codes]


def running_types(w: Work) -> list[str]:
    out = set()
    for r in w.load("instances.json").get("Reservations", []):
        for i in r.get("Instances", []):
            out.add(i["InstanceType"])
    return sorted(out)


def verdict(w: Work, name: str) -> bool:
    """Print one check's verdict; True if it passed (or was skipped)."""
    if (w.path / f"skipped-{name}").exists():
        print(f"WARNING: SKIPPED preflight check '{name}' (--skip): AWS may refuse this deploy at apply time "
              "for what it would have caught")
        return True
    asked = w.path / f"not-asked-{name}.txt"
    if asked.exists():
        print(f"FAIL {name}: could not ask AWS:")
        for line in asked.read_text().splitlines():
            print(f"       {line}")
        print("       fix: check the credentials and their permissions (scripts/preflight.sh --help lists them)")
        return False
    try:
        problems, fixes, summary = CHECKS[name](w)
    except (BadInput, KeyError, TypeError, ValueError, model_manifest.ManifestError) as e:
        problems, fixes = [f"cannot read the AWS answer: {e!r}"], []
    if problems:
        for p in problems:
            print(f"FAIL {name}: {p}")
        for fix in fixes:
            print(f"       fix: {fix}")
        return False
    print(f"ok   {name}: {summary}")
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, path = argv[1], Path(argv[2])
    try:
        w = Work(path)
        if cmd == "quota-codes":
            print("\n".join(quota_codes(w)))
            return 0
        if cmd == "running-types":
            print("\n".join(running_types(w)))
            return 0
    except BadInput as e:
        print(f"preflight_checks.py {cmd}: {e}", file=sys.stderr)
        return 2
    if cmd != "judge" or any(c not in CHECKS for c in argv[3:]):
        print(__doc__, file=sys.stderr)
        return 2
    failed = [c for c in argv[3:] if not verdict(w, c)]
    (path / "failed").write_text(" ".join(failed) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
