package plan

// A stand-in for the one Secrets Manager call a plan makes.
//
// An ephemeral aws_secretsmanager_random_password is opened with the real
// provider during the plan (and the mock deployment's apply): the provider
// calls secretsmanager:GetRandomPassword. Offline, the harness points the
// provider's secretsmanager endpoint at this server, which answers that
// call as the service's API model says (botocore
// data/secretsmanager/2017-10-17/service-2.json: protocol "json", JSON 1.1,
// target prefix "secretsmanager", POST "/"; GetRandomPasswordRequest →
// GetRandomPasswordResponse {"RandomPassword"}; PasswordLength 1–4096,
// default 32; ExcludeCharacters ≤ 4096 characters; the punctuation set the
// ExcludePunctuation member documents; InvalidParameterException for a value
// out of its range). Every value it hands out is recorded, so that a test
// can search the saved plans and states for it.

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// secretsTarget is the X-Amz-Target of the one operation served.
const secretsTarget = "secretsmanager.GetRandomPassword"

// Character classes of GetRandomPassword (the request members' documentation
// in the API model: ExcludePunctuation lists the punctuation set).
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// randomPasswordRequest is GetRandomPasswordRequest. Pointers tell an
// absent member from false or 0 ("box": true in the model).
type randomPasswordRequest struct {
	PasswordLength          *int64  `json:"PasswordLength"`
	ExcludeCharacters       *string `json:"ExcludeCharacters"`
	ExcludeNumbers          *bool   `json:"ExcludeNumbers"`
	ExcludePunctuation      *bool   `json:"ExcludePunctuation"`
	ExcludeUppercase        *bool   `json:"ExcludeUppercase"`
	ExcludeLowercase        *bool   `json:"ExcludeLowercase"`
	IncludeSpace            *bool   `json:"IncludeSpace"`
	RequireEachIncludedType *bool   `json:"RequireEachIncludedType"`
}

// SecretsStandIn serves secretsmanager:GetRandomPassword on the loopback
// and records what it generated.
type SecretsStandIn struct {
	// URL is the endpoint to give the provider (endpoints { secretsmanager }).
	URL string

	srv *http.Server
	mu  sync.Mutex
	gen []string
}

// StartSecretsStandIn starts the stand-in on a free loopback port.
func StartSecretsStandIn() (*SecretsStandIn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("plan: the Secrets Manager stand-in cannot listen: %w", err)
	}
	s := &SecretsStandIn{URL: "http://" + l.Addr().String()}
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(l) //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the server.
func (s *SecretsStandIn) Close() { s.srv.Close() }

// Generated returns every value handed out so far.
func (s *SecretsStandIn) Generated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.gen)
}

// ServeHTTP answers one JSON 1.1 request.
func (s *SecretsStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg}) //nolint:errcheck
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(http.StatusNotFound, "UnknownOperationException", r.Method+" "+r.URL.Path)
		return
	}
	if t := r.Header.Get("X-Amz-Target"); t != secretsTarget {
		// The harness serves one operation; any other call means a plan
		// needs more of Secrets Manager than this stand-in knows.
		fail(http.StatusBadRequest, "UnknownOperationException", "the plan harness's Secrets Manager stand-in serves GetRandomPassword only, not "+t)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(http.StatusBadRequest, "InvalidRequestException", err.Error())
		return
	}
	var req randomPasswordRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(http.StatusBadRequest, "InvalidParameterException", "GetRandomPasswordRequest: "+err.Error())
		return
	}
	pw, err := randomPassword(req)
	if err != nil {
		fail(http.StatusBadRequest, "InvalidParameterException", err.Error())
		return
	}
	s.mu.Lock()
	s.gen = append(s.gen, pw)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]string{"RandomPassword": pw}) //nolint:errcheck
}

// randomPassword generates what GetRandomPassword returns for req.
func randomPassword(req randomPasswordRequest) (string, error) {
	n := int64(32)
	if req.PasswordLength != nil {
		n = *req.PasswordLength
	}
	if n < 1 || n > 4096 {
		return "", fmt.Errorf("PasswordLength %d is outside 1–4096", n)
	}
	exclude := ""
	if req.ExcludeCharacters != nil {
		exclude = *req.ExcludeCharacters
	}
	if len(exclude) > 4096 {
		return "", fmt.Errorf("ExcludeCharacters is longer than 4096 characters")
	}
	on := func(b *bool) bool { return b != nil && *b }
	var classes []string
	for _, c := range []struct {
		set  string
		skip bool
	}{
		{lowercase, on(req.ExcludeLowercase)}, {uppercase, on(req.ExcludeUppercase)},
		{digits, on(req.ExcludeNumbers)}, {punctuation, on(req.ExcludePunctuation)}, {" ", !on(req.IncludeSpace)},
	} {
		if c.skip {
			continue
		}
		kept := strings.Map(func(r rune) rune {
			if strings.ContainsRune(exclude, r) {
				return -1
			}
			return r
		}, c.set)
		if kept != "" {
			classes = append(classes, kept)
		}
	}
	if len(classes) == 0 {
		return "", fmt.Errorf("every character is excluded")
	}
	// Absent, RequireEachIncludedType is true (its documentation: "If you
	// don't include this switch, the password contains at least one of
	// every character type").
	each := req.RequireEachIncludedType == nil || *req.RequireEachIncludedType
	if each && int64(len(classes)) > n {
		return "", fmt.Errorf("PasswordLength %d cannot hold one character of each of %d included types", n, len(classes))
	}
	all := strings.Join(classes, "")
	out := make([]byte, n)
	for i := range out {
		set := all
		if each && i < len(classes) {
			set = classes[i]
		}
		out[i] = set[randInt(len(set))]
	}
	// The first characters are one per class: shuffle them in.
	for i := len(out) - 1; i > 0; i-- {
		j := randInt(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return int(v.Int64())
}
