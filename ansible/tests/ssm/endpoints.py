#!/usr/bin/python3
"""Writes botocore endpoint rule sets that send SSM, Secrets Manager and S3
to the stand-ins, under DATA_DIR, for AWS_DATA_PATH. botocore resolves every
request's endpoint with the service's endpoint-rule-set-1.json
(botocore/regions.py EndpointRulesetResolver) and loads data files from the
AWS_DATA_PATH directories before its own (botocore/loaders.py), so the
callers run unchanged: community.aws's aws_ssm plugin has no option for the
SSM endpoint, and the amazon.aws lookups read none from group_vars.
S3 is path-style (http://host:port/<bucket>/<key>), signed as s3 in the
client's region, as the real rule set signs it.

usage: endpoints.py DATA_DIR AWS_API_URL S3_URL
"""

import json
import os
import sys

REGION = {"builtIn": "AWS::Region", "required": False, "type": "String"}


def write(data_dir, service, version, ruleset):
    d = os.path.join(data_dir, service, version)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "endpoint-rule-set-1.json"), "w") as f:
        json.dump(ruleset, f, indent=1)


def plain(url):
    return {"version": "1.0", "parameters": {"Region": REGION},
            "rules": [{"conditions": [], "type": "endpoint", "endpoint": {"url": url, "properties": {}, "headers": {}}}]}


def main(data_dir, api_url, s3_url):
    write(data_dir, "ssm", "2014-11-06", plain(api_url))
    write(data_dir, "secretsmanager", "2017-10-17", plain(api_url))
    auth = {"authSchemes": [{"name": "sigv4", "signingName": "s3", "signingRegion": "{Region}", "disableDoubleEncoding": True}]}
    write(data_dir, "s3", "2006-03-01", {
        "version": "1.0",
        "parameters": {"Region": REGION, "Bucket": {"required": False, "type": "String"}},
        "rules": [
            {"conditions": [{"fn": "isSet", "argv": [{"ref": "Bucket"}]}], "type": "endpoint",
             "endpoint": {"url": s3_url + "/{Bucket}", "properties": auth, "headers": {}}},
            {"conditions": [], "type": "endpoint", "endpoint": {"url": s3_url, "properties": auth, "headers": {}}},
        ]})


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help") else 2)
    main(*sys.argv[1:])
