package plan

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRandomPassword: the stand-in generates what GetRandomPassword's API
// model describes for each request, and refuses what it refuses.
func TestRandomPassword(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	yes, no := true, false
	str := func(s string) *string { return &s }
	cases := []struct {
		name  string
		req   randomPasswordRequest
		check func(string) bool
		err   string
	}{
		{"default length 32, every class but space", randomPasswordRequest{}, func(p string) bool {
			return len(p) == 32 && strings.ContainsAny(p, lowercase) && strings.ContainsAny(p, uppercase) &&
				strings.ContainsAny(p, digits) && strings.ContainsAny(p, punctuation) && !strings.Contains(p, " ")
		}, ""},
		{"the stacks' request", randomPasswordRequest{PasswordLength: i64(64), ExcludePunctuation: &yes, RequireEachIncludedType: &yes}, func(p string) bool {
			return len(p) == 64 && !strings.ContainsAny(p, punctuation) && strings.ContainsAny(p, lowercase) &&
				strings.ContainsAny(p, uppercase) && strings.ContainsAny(p, digits)
		}, ""},
		{"excluded characters", randomPasswordRequest{PasswordLength: i64(200), ExcludeCharacters: str("abcXYZ019"), ExcludePunctuation: &yes}, func(p string) bool {
			return len(p) == 200 && !strings.ContainsAny(p, "abcXYZ019") && strings.Trim(p, lowercase+uppercase+digits) == ""
		}, ""},
		{"digits only", randomPasswordRequest{PasswordLength: i64(10), ExcludeLowercase: &yes, ExcludeUppercase: &yes, ExcludePunctuation: &yes, RequireEachIncludedType: &no}, func(p string) bool {
			return strings.Trim(p, digits) == ""
		}, ""},
		{"length 1, one type", randomPasswordRequest{PasswordLength: i64(1), ExcludeLowercase: &yes, ExcludeUppercase: &yes, ExcludePunctuation: &yes}, func(p string) bool {
			return len(p) == 1 && strings.Trim(p, digits) == ""
		}, ""},
		{"length 4096", randomPasswordRequest{PasswordLength: i64(4096)}, func(p string) bool { return len(p) == 4096 }, ""},
		{"length 4, exactly the four types", randomPasswordRequest{PasswordLength: i64(4)}, func(p string) bool {
			return len(p) == 4 && strings.ContainsAny(p, lowercase) && strings.ContainsAny(p, uppercase) &&
				strings.ContainsAny(p, digits) && strings.ContainsAny(p, punctuation)
		}, ""},
		{"4096 excluded characters", randomPasswordRequest{ExcludeCharacters: str(strings.Repeat("a", 4096))}, func(p string) bool {
			return len(p) == 32 && !strings.Contains(p, "a")
		}, ""},
		{"4097 excluded characters", randomPasswordRequest{ExcludeCharacters: str(strings.Repeat("a", 4097))}, nil, "longer than 4096"},
		{"length 0", randomPasswordRequest{PasswordLength: i64(0)}, nil, "outside 1–4096"},
		{"length 4097", randomPasswordRequest{PasswordLength: i64(4097)}, nil, "outside 1–4096"},
		{"too short for each type", randomPasswordRequest{PasswordLength: i64(3)}, nil, "cannot hold one character of each"},
		{"nothing left", randomPasswordRequest{ExcludeLowercase: &yes, ExcludeUppercase: &yes, ExcludeNumbers: &yes, ExcludePunctuation: &yes}, nil, "every character is excluded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := randomPassword(c.req)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !c.check(p) {
				t.Errorf("%q, %v", p, err)
			}
		})
	}
}

// TestRandomPasswordShuffles: the one character of each type is not left
// at the front: over 20 passwords of 4 characters, the first is not always
// the lower-case one (all 20 by chance: 4^-20).
func TestRandomPasswordShuffles(t *testing.T) {
	four := int64(4)
	for range 20 {
		p, err := randomPassword(randomPasswordRequest{PasswordLength: &four})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsAny(p[:1], lowercase) {
			return
		}
	}
	t.Fatal("20 passwords all start with their lower-case character: not shuffled")
}

// TestSecretsStandIn: the JSON 1.1 contract over HTTP (the target header,
// the body, the error shape), and every value recorded.
func TestSecretsStandIn(t *testing.T) {
	s, err := StartSecretsStandIn()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	call := func(target, body string) (int, map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		json.NewDecoder(resp.Body).Decode(&out) //nolint:errcheck
		return resp.StatusCode, out
	}
	status, out := call(secretsTarget, `{"PasswordLength":64,"ExcludePunctuation":true,"RequireEachIncludedType":true}`)
	if status != 200 || len(out["RandomPassword"]) != 64 {
		t.Fatalf("%d %v", status, out)
	}
	if got := s.Generated(); len(got) != 1 || got[0] != out["RandomPassword"] {
		t.Errorf("recorded %v", got)
	}
	for _, c := range []struct{ target, body, typ string }{
		{"secretsmanager.GetSecretValue", `{"SecretId":"x"}`, "UnknownOperationException"},
		{secretsTarget, `{"PasswordLength":"long"}`, "InvalidParameterException"},
		{secretsTarget, `{"PasswordLenght":12}`, "InvalidParameterException"},
		{secretsTarget, `{"PasswordLength":5000}`, "InvalidParameterException"},
	} {
		status, out := call(c.target, c.body)
		if status != 400 || out["__type"] != c.typ {
			t.Errorf("%s %s: %d %v, want 400 %s", c.target, c.body, status, out, c.typ)
		}
	}
	if len(s.Generated()) != 1 {
		t.Errorf("a refused request recorded a value")
	}
}

// TestMoveEphemerals: each ephemeral resource gets an alias of its own
// provider configuration, declared for validate and configured like the
// one it replaces.
func TestMoveEphemerals(t *testing.T) {
	stack := map[string]any{
		"provider": map[string]any{"aws": []any{
			map[string]any{"region": "eu-central-1"},
			map[string]any{"alias": "copy", "region": "eu-west-1"},
		}},
		"ephemeral": map[string]any{"aws_secretsmanager_random_password": map[string]any{
			"a": map[string]any{"password_length": 64},
			"b": map[string]any{"provider": "aws.copy"},
		}},
	}
	aliases, err := moveEphemerals(stack)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(aliases, ",") != "harness_ephemeral,harness_ephemeral_copy" {
		t.Errorf("aliases %v", aliases)
	}
	eph := stack["ephemeral"].(map[string]any)["aws_secretsmanager_random_password"].(map[string]any)
	if eph["a"].(map[string]any)["provider"] != "aws.harness_ephemeral" || eph["b"].(map[string]any)["provider"] != "aws.harness_ephemeral_copy" {
		t.Errorf("providers %v", eph)
	}
	f, _ := testFile(stack, "http://127.0.0.1:1")
	for _, want := range []string{"alias = \"harness_ephemeral_copy\"\n  region = \"eu-west-1\"", "alias = \"harness_ephemeral\"\n  region = \"eu-central-1\""} {
		if !strings.Contains(f, want) {
			t.Errorf("test file lacks %q:\n%s", want, f)
		}
	}
	if got := string(ephemeralProviderFile(stack)); !strings.Contains(got, `"alias": "harness_ephemeral_copy"`) {
		t.Errorf("declarations: %s", got)
	}
	if _, err := moveEphemerals(map[string]any{"ephemeral": map[string]any{"random_password": map[string]any{"x": map[string]any{}}}}); err == nil {
		t.Error("a non-aws ephemeral resource was accepted")
	}
}
