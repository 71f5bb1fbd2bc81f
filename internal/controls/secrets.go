package controls

// Secrets in the JSON: no credential is written as a literal value.

import (
	"regexp"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

// SensitiveAttributes are the attribute names whose value must be a
// reference, never a literal.
var SensitiveAttributes = []string{"password", "master_password", "auth_token", "secret_string", "secret_binary", "private_key", "access_key", "secret_key", "token"}

// SecretShapes are text patterns of credentials, by what they look like.
var SecretShapes = map[string]*regexp.Regexp{
	"AWS access key":  regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
	"private key":     regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	"password in URL": regexp.MustCompile(`[a-z]+://[^/\s:@"]+:[^/\s@"]+@`),
}

var sensitiveKey = regexp.MustCompile(`(?i)^(` + strings.Join(SensitiveAttributes, "|") + `)$`)

func noLiteralSecrets(s stack.Stack, _ bool) []string {
	var out []string
	for _, typ := range s.ResourceTypes() {
		for _, r := range each(s, typ) {
			walkStrings(r.attrs, "", func(path, v string) {
				key := path[strings.LastIndex(path, ".")+1:]
				if sensitiveKey.MatchString(key) && v != "" && !strings.HasPrefix(v, "${") {
					out = append(out, finding(r, "%s holds a literal value", path))
				}
				for what, re := range SecretShapes {
					if re.MatchString(v) {
						out = append(out, finding(r, "%s looks like a %s", path, what))
					}
				}
			})
		}
	}
	return out
}
