// Package policy builds IAM and resource policy documents as typed Go
// values. A document is rendered once to JSON; cdktf tokens inside its
// strings (ARNs of other resources) resolve at synth time.
package policy

import (
	"encoding/json"
	"fmt"
)

// Document is an IAM policy document, version 2012-10-17.
type Document struct {
	Statements []Statement
}

// Statement is one policy statement. Empty fields are left out.
type Statement struct {
	// Sid names the statement; it appears in error messages and scanners.
	Sid string
	// Effect is "Allow" or "Deny". Default: "Allow".
	Effect string
	// Principal is for resource policies: e.g. {"Service": ["logs.amazonaws.com"]}
	// or {"AWS": [arn]}. Default: none (identity policies).
	Principal map[string][]string
	// Actions the statement allows or denies.
	Actions []string
	// NotActions, instead of Actions, applies the statement to every action
	// but these. Default: none.
	NotActions []string
	// Resources the statement applies to.
	Resources []string
	// Condition maps an operator to keys and values, e.g.
	// {"Bool": {"aws:SecureTransport": ["false"]}}.
	Condition map[string]map[string][]string
}

// Allow returns an Allow statement.
func Allow(sid string, actions, resources []string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Actions: actions, Resources: resources}
}

type jsonStatement struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Principal map[string][]string            `json:"Principal,omitempty"`
	Action    []string                       `json:"Action,omitempty"`
	NotAction []string                       `json:"NotAction,omitempty"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// JSON renders the document. It panics on a statement without actions or
// resources: that is a programming error in a construct, caught by the
// synth tests.
func (d Document) JSON() string {
	out := struct {
		Version   string          `json:"Version"`
		Statement []jsonStatement `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range d.Statements {
		if len(s.Actions) == 0 && len(s.NotActions) == 0 || len(s.Resources) == 0 {
			panic(fmt.Sprintf("policy statement %q needs actions and resources", s.Sid))
		}
		effect := s.Effect
		if effect == "" {
			effect = "Allow"
		}
		out.Statement = append(out.Statement, jsonStatement{
			Sid: s.Sid, Effect: effect, Principal: s.Principal,
			Action: s.Actions, NotAction: s.NotActions, Resource: s.Resources, Condition: s.Condition,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// AssumeRole returns the trust policy that lets an AWS service assume a
// role. When sourceAccount is set, only requests on behalf of that account
// are trusted (the confused-deputy guard).
func AssumeRole(service, sourceAccount string) string {
	st := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]string{"Service": service},
		"Action":    "sts:AssumeRole",
	}
	if sourceAccount != "" {
		st["Condition"] = map[string]any{"StringEquals": map[string]string{"aws:SourceAccount": sourceAccount}}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
	return string(b)
}

// AssumeRoleByAccount returns the trust policy that lets the principals of
// an account (rootArn, "arn:aws:iam::<id>:root") assume a role, each as far
// as its own IAM policies allow sts:AssumeRole on it: the account's
// administrators decide who, without this stack naming people.
func AssumeRoleByAccount(rootArn string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": rootArn},
		"Action":    "sts:AssumeRole",
	}}})
	return string(b)
}

// DenyInsecureTransport is the resource-policy statement that refuses the
// actions on the resources to any request not made over TLS ("TLS-only"
// buckets, file systems and topics).
func DenyInsecureTransport(actions []string, resources ...string) Statement {
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string][]string{"AWS": {"*"}},
		Actions:   actions,
		Resources: resources,
		Condition: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}},
	}
}

// Merge folds statements with the same Sid into one, uniting their
// resources, so owners can hand out grants independently ("read this
// secret", "read that one") and a role's policy still has one statement per
// kind of access. Statements with the same Sid must agree on everything but
// their resources; anything else is a programming error and panics.
func Merge(statements []Statement) []Statement {
	var out []Statement
	index := map[string]int{}
	for _, s := range statements {
		i, seen := index[s.Sid]
		if !seen || s.Sid == "" {
			s.Resources = append([]string(nil), s.Resources...)
			index[s.Sid] = len(out)
			out = append(out, s)
			continue
		}
		prev := out[i]
		if !sameGrant(prev, s) {
			panic(fmt.Sprintf("policy statements %q differ in more than their resources", s.Sid))
		}
		for _, r := range s.Resources {
			if !contains(prev.Resources, r) {
				prev.Resources = append(prev.Resources, r)
			}
		}
		out[i] = prev
	}
	return out
}

func sameGrant(a, b Statement) bool {
	a.Resources, b.Resources = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
