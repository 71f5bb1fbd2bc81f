package iam

import (
	"encoding/json"
	"strings"
	"testing"
)

const acct = "111122223333"

func doc(statements ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

func allow(actions any, resources any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources}
}

// fixture is a one-stack app: a key and an encrypted topic an EventBridge
// rule publishes to, a server role with a boundary and two secrets of its
// own, a secret of another tier, a deployer without iam:PassRole.
func fixture(eventsKeyCondition bool, serverSecrets string) map[string]Stack {
	events := map[string]any{"Sid": "EventsPublish", "Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Action": []string{"kms:GenerateDataKey*", "kms:Decrypt"}, "Resource": "*"}
	if eventsKeyCondition {
		events["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": acct}}
	}
	root := map[string]any{"Sid": "Account", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:${data.aws_partition.p.partition}:iam::${data.aws_caller_identity.c.account_id}:root"},
		"Action": "kms:*", "Resource": "*"}
	ec2Trust := doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
	boundary := "arn:aws:iam::" + acct + ":policy/app-boundary"
	res := map[string]any{
		"aws_kms_key":   map[string]any{"key": map[string]any{"policy": doc(root, events)}},
		"aws_sns_topic": map[string]any{"topic": map[string]any{"name": "alarms", "kms_master_key_id": "${aws_kms_key.key.arn}"}},
		"aws_sns_topic_policy": map[string]any{"topic-policy": map[string]any{"arn": "${aws_sns_topic.topic.arn}", "policy": doc(map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": "${aws_sns_topic.topic.arn}",
			"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:events:eu-central-1:" + acct + ":rule/app-*"}}})}},
		"aws_cloudwatch_event_rule":   map[string]any{"rule": map[string]any{"name": "app-failures"}},
		"aws_cloudwatch_event_target": map[string]any{"target": map[string]any{"rule": "${aws_cloudwatch_event_rule.rule.name}", "arn": "${aws_sns_topic.topic.arn}"}},
		"aws_secretsmanager_secret": map[string]any{
			"db": map[string]any{"name": "app/db"}, "api": map[string]any{"name": "app/api"}, "other": map[string]any{"name": "other/db"}},
		"aws_iam_policy": map[string]any{"boundary": map[string]any{"name": "app-boundary", "policy": doc(
			allow([]string{"secretsmanager:GetSecretValue", "kms:Decrypt"}, "*"))}},
		"aws_iam_role": map[string]any{
			"server":     map[string]any{"name": "app-server", "assume_role_policy": ec2Trust, "permissions_boundary": boundary},
			"deployer":   map[string]any{"name": "app-deployer", "assume_role_policy": ec2Trust},
			"monitoring": map[string]any{"name": "app-monitoring", "assume_role_policy": ec2Trust},
		},
		"aws_iam_role_policy": map[string]any{
			"server-policy": map[string]any{"name": "server", "role": "${aws_iam_role.server.id}", "policy": doc(allow("secretsmanager:GetSecretValue", serverSecrets),
				map[string]any{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
					"Condition": map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:log-group:*"}}})},
			"deployer-policy": map[string]any{"name": "deployer", "role": "${aws_iam_role.deployer.id}", "policy": doc(allow("rds:CreateDBInstance", "*"))},
		},
	}
	return map[string]Stack{"app-stack": {
		"provider": map[string]any{"aws": []any{map[string]any{"region": "eu-central-1", "allowed_account_ids": []any{acct},
			"default_tags": []any{map[string]any{"tags": map[string]any{"Environment": "app"}}}}}},
		"resource": res,
	}}
}

func load(t *testing.T, stacks map[string]Stack) *Model {
	t.Helper()
	m, err := Load(stacks)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Unresolved) > 0 {
		t.Fatalf("unresolved: %v", m.Unresolved)
	}
	return m
}

func TestLoadResolvesReferences(t *testing.T) {
	m := load(t, fixture(true, "*"))
	topic := "arn:aws:sns:eu-central-1:" + acct + ":alarms"
	if d, ok := m.ResourcePolicyFor(topic); !ok || !strings.Contains(string(d.Policy), `"Resource":"`+topic+`"`) {
		t.Errorf("topic policy of %s: %v %s", topic, ok, d.Policy)
	}
	role := m.RoleNamed("app-server")
	if role == nil || role.Boundary != "arn:aws:iam::"+acct+":policy/app-boundary" || len(role.Inline) != 1 {
		t.Fatalf("server role: %+v", role)
	}
	key := m.Find("app-stack", "aws_kms_key")[0]
	if d, ok := m.ResourcePolicyFor(key.OwnARN()); !ok || !strings.Contains(string(d.Policy), "arn:aws:iam::"+acct+":root") {
		t.Errorf("key policy: %s", d.Policy)
	}
	if got := m.Find("app-stack", "aws_secretsmanager_secret")[0].Tags["Environment"]; got != "app" {
		t.Errorf("default tags: %q", got)
	}
	bad := fixture(true, "*")
	bad["app-stack"]["resource"].(map[string]any)["aws_sns_topic_policy"].(map[string]any)["topic-policy"].(map[string]any)["arn"] = "${aws_nothing.x.arn}"
	m2, _ := Load(bad)
	if len(m2.Unresolved) != 1 || !strings.Contains(m2.Unresolved[0], "aws_nothing.x.arn") {
		t.Errorf("an unknown reference must be reported, got %v", m2.Unresolved)
	}
}

// TestPlantedCases: each planted defect fails with the principal or
// resource, the call and the reason; each control case passes.
func TestPlantedCases(t *testing.T) {
	good := load(t, fixture(false, "arn:aws:secretsmanager:eu-central-1:"+acct+":secret:app/db-*"))
	bad := load(t, fixture(true, "*"))
	secret := func(m *Model, name string) string { return m.secretARN("app-stack", name) }
	key := good.Find("app-stack", "aws_kms_key")[0].OwnARN()
	server := "arn:aws:iam::" + acct + ":role/app-server"
	deployer := "arn:aws:iam::" + acct + ":role/app-deployer"
	rule := "arn:aws:events:eu-central-1:" + acct + ":rule/app-failures"
	topic := "arn:aws:sns:eu-central-1:" + acct + ":alarms"
	cases := []struct {
		name string
		m    *Model
		req  Request
		ok   bool
		why  []string // substrings of Why() when it fails
	}{
		{"the job: own secret", good, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValue", Resource: secret(good, "app/db")}, true, nil},
		{"a role missing one action of its job", good, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValue", Resource: secret(good, "app/api")}, false,
			[]string{server, "secretsmanager:GetSecretValue", "app/api", "no identity policy statement allows it"}},
		{"a must-not that stays denied", good, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValue", Resource: secret(good, "other/db"), Deny: true}, true, nil},
		{"a must-not that became allowed", bad, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValue", Resource: secret(bad, "other/db"), Deny: true}, false,
			[]string{server, "other/db", "ALLOWED, but it must be denied"}},
		{"a boundary refuses what the role allows", bad, Request{Job: "server", Principal: server, Action: "secretsmanager:DescribeSecret", Resource: secret(bad, "app/db")}, false,
			[]string{"no identity policy statement allows it"}},
		{"a missing dependent action", good, Request{Job: "deploy", Principal: deployer, Action: "rds:CreateDBInstance", Resource: "arn:aws:rds:eu-central-1:" + acct + ":db:app",
			Dependents: true, DependentResources: map[string]string{"iam:PassRole": "arn:aws:iam::" + acct + ":role/app-monitoring", "kms:CreateGrant": key, "kms:Decrypt": key,
				"kms:DescribeKey": key, "kms:GenerateDataKey": key, "secretsmanager:CreateSecret": secret(good, "app/db"), "secretsmanager:TagResource": secret(good, "app/db")},
			Waive: map[string]string{"rds:CreateTenantDatabase": "single tenant", "rds:AddTagsToResource": "untagged"}}, false,
			[]string{deployer, "rds:CreateDBInstance", "dependent action iam:PassRole", "app-monitoring"}},
		{"EventBridge publishes to the topic", good, Request{Job: "events", Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topic,
			Context: map[string][]string{"aws:SourceArn": {rule}, "aws:SourceAccount": {acct}}}, true, nil},
		{"the key policy EventBridge's context satisfies", good, Request{Job: "events", Principal: "events.amazonaws.com", Action: "kms:GenerateDataKey", Resource: key}, true, nil},
		{"a key policy condition the publishing service never satisfies", bad, Request{Job: "events", Principal: "events.amazonaws.com", Action: "kms:GenerateDataKey", Resource: key}, false,
			[]string{"events.amazonaws.com", "kms:GenerateDataKey", key, "key policy does not allow it"}},
		{"a non-existent action", good, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValues", Resource: secret(good, "app/db")}, false,
			[]string{server, "secretsmanager:GetSecretValues", "invalid.action"}},
		{"a context key the action does not support", good, Request{Job: "server", Principal: server, Action: "secretsmanager:GetSecretValue", Resource: secret(good, "app/db"),
			Context: map[string][]string{"s3:prefix": {"x"}}}, false, []string{"context keys the action does not support: s3:prefix"}},
		{"an encryption context the action supports", good, Request{Job: "logs", Principal: server, Action: "kms:Decrypt", Resource: key,
			Context: map[string][]string{"kms:EncryptionContext:aws:logs:arn": {"arn:aws:logs:eu-central-1:" + acct + ":log-group:x"}}}, true, nil},
		{"an encryption context the condition does not match", good, Request{Job: "logs", Principal: server, Action: "kms:Decrypt", Resource: key,
			Context: map[string][]string{"kms:EncryptionContext:aws:logs:arn": {"arn:aws:s3:::bucket"}}}, false, []string{"implicitlyDenied"}},
		{"an encryption context the action does not support", good, Request{Job: "logs", Principal: server, Action: "kms:DescribeKey", Resource: key,
			Context: map[string][]string{"kms:EncryptionContext:aws:logs:arn": {"x"}}}, false, []string{"kms:EncryptionContext:aws:logs:arn"}},
	}
	var reqs []Request
	for _, c := range cases {
		reqs = append(reqs, c.req)
	}
	// One Node.js process per model, as the e2e suite runs one per batch.
	byModel := map[*Model][]int{}
	for i, c := range cases {
		byModel[c.m] = append(byModel[c.m], i)
	}
	decisions := make([]Decision, len(cases))
	for m, idx := range byModel {
		var batch []Request
		for _, i := range idx {
			batch = append(batch, reqs[i])
		}
		ds, err := Evaluator{}.Evaluate(m, batch)
		if err != nil {
			t.Fatal(err)
		}
		for j, i := range idx {
			decisions[i] = ds[j]
		}
	}
	for i, c := range cases {
		d := decisions[i]
		if d.OK() != c.ok {
			t.Errorf("%s: OK() = %v, want %v: %s", c.name, d.OK(), c.ok, d.Why())
			continue
		}
		for _, w := range c.why {
			if !strings.Contains(d.Why(), w) {
				t.Errorf("%s: %q does not say %q", c.name, d.Why(), w)
			}
		}
	}
}

func TestCheckDocumentsPlanted(t *testing.T) {
	docs := []Document{
		{Where: "good", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "Good", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "s3.eu-central-1.amazonaws.com", "aws:ResourceTag/Environment": "app"}}}))},
		{Where: "no-such-action", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "Typo", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}))},
		{Where: "unsupported-key", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "WrongKey", "Effect": "Allow",
			"Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": map[string]any{"StringEquals": map[string]any{"s3:prefix": "x"}}}))},
		{Where: "no-such-key", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "NoKey", "Effect": "Allow",
			"Action": "kms:Decrypt", "Resource": "*", "Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaServices": "x"}}}))},
		{Where: "wildcard-only-on-arn", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "ArnOnWildcardOnly", "Effect": "Allow",
			"Action": "logs:DescribeLogGroups", "Resource": "arn:aws:logs:eu-central-1:" + acct + ":log-group:*"}))},
		{Where: "wrong-arn", Kind: "identity", Policy: json.RawMessage(doc(map[string]any{"Sid": "WrongArn", "Effect": "Allow",
			"Action": "s3:GetObject", "Resource": "arn:aws:sns:eu-central-1:" + acct + ":alarms"}))},
	}
	findings, err := Evaluator{}.CheckDocuments(docs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"no-such-action":       "action s3:GetObjekt: no such action",
		"unsupported-key":      "condition key s3:prefix (StringEquals): secretsmanager:GetSecretValue does not support it",
		"no-such-key":          "condition key kms:ViaServices (StringEquals): no such key",
		"wildcard-only-on-arn": `every action of the statement accepts only "*"`,
		"wrong-arn":            "matches no resource type of s3:GetObject",
	}
	got := map[string]string{}
	for _, f := range findings {
		got[f.Where] += f.String() + "\n"
	}
	if got["good"] != "" {
		t.Errorf("the good document has findings: %s", got["good"])
	}
	for where, w := range want {
		if !strings.Contains(got[where], w) {
			t.Errorf("%s: findings %q, want one saying %q", where, got[where], w)
		}
	}
}

// TestJobsRefuseAnUnmappedType: a resource type without ProviderCalls
// fails Jobs, so a new type is looked up before a deploy role is expected
// to create it; the mapped ones become requests with their templates
// expanded.
func TestJobsRefuseAnUnmappedType(t *testing.T) {
	stacks := fixture(false, "*")
	res := stacks["app-stack"]["resource"].(map[string]any)
	roles := res["aws_iam_role"].(map[string]any)
	roles["deploy"] = map[string]any{"name": "app-deploy", "assume_role_policy": doc()}
	roles["plan"] = map[string]any{"name": "app-plan", "assume_role_policy": doc()}
	res["aws_kms_alias"] = map[string]any{"state": map[string]any{"name": "alias/state", "target_key_id": "${aws_kms_key.key.key_id}"}}
	res["aws_sqs_queue"] = map[string]any{"q": map[string]any{"name": "q"}}
	m := load(t, stacks)
	env := Environment{Name: "app", Stack: "app-stack", Region: "eu-central-1", DeployRole: "app-deploy", PlanRole: "app-plan",
		StateBucket: "state", StateKey: "app/terraform.tfstate", StateKeyAlias: "alias/state", LogGroupPrefix: "/app/"}
	reqs, err := Jobs(m, env)
	if err == nil || !strings.Contains(err.Error(), "no ProviderCalls for") || !strings.Contains(err.Error(), "aws_sqs_queue") {
		t.Fatalf("want an error naming aws_sqs_queue, got %v", err)
	}
	var topicCreate, stateDecrypt bool
	for _, r := range reqs {
		topicCreate = topicCreate || r.Action == "sns:CreateTopic" && r.Resource == "arn:aws:sns:eu-central-1:"+acct+":alarms" && r.Kind == KindProvider
		stateDecrypt = stateDecrypt || r.Action == "kms:Decrypt" && r.Kind == KindBackend && strings.HasPrefix(r.Resource, "arn:aws:kms:eu-central-1:"+acct+":key/")
	}
	if !topicCreate || !stateDecrypt {
		t.Errorf("requests lack the topic's create (%v) or the state key's decrypt (%v)", topicCreate, stateDecrypt)
	}
}
