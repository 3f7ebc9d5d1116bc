// Package awstest is an in-test HTTP server that speaks the wire protocol
// of the AWS APIs rolekeeper calls (Secrets Manager and SSM over JSON 1.1,
// Lambda Invoke over REST-JSON), so tests exercise the real AWS SDK end to
// end: the generated Secrets Manager client, and package awscall's calls
// (SSM, Lambda) over the SDK's signer. Every request's Signature Version 4
// signature is checked with the SDK's signer, as AWS checks it. It keeps
// state in memory and records every call.
//
// Secrets Manager's versions and stages follow the API reference
// (GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
// DescribeSecret, RotateSecret) and the rotation protocol of AWS's
// rotation function template (aws-samples/aws-secrets-manager-rotation-lambdas,
// SecretsManagerRotationTemplate/lambda_function.py): a rotation starts
// with a version whose id is the ClientRequestToken, staged AWSPENDING and
// holding no value until createSecret puts one; a version holding no
// value reads as ResourceNotFoundException; PutSecretValue with a token
// that exists is idempotent for the same value and refused
// (ResourceExistsException) for another; moving AWSCURRENT gives the
// version it left AWSPREVIOUS.
package awstest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rolekeeper/rolekeeper/awscall"
)

// Server is a fake AWS endpoint.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]*secret
	params  map[string]string
	calls   []string
	reqs    []Request
	// Lambda handles Invoke calls when set: it gets the function name,
	// the payload and the LogType header, and returns the status, the
	// function error (empty for none), the log tail and the response.
	Lambda func(function string, payload []byte, logType string) (status int, funcErr, logTail string, body []byte)
	// BeforeGetSecret, when set, runs before each GetSecretValue (tests
	// use it to rotate a value between calls).
	BeforeGetSecret func(s *Server, name string)
	// Fail, when set, is asked before each Secrets Manager or SSM call
	// (operation and decoded input); a non-empty answer fails the call
	// with that error type, as AWS answers it: HTTP 500 for
	// Internal* and ServiceUnavailable (a service error, or a lost
	// reply), 400 for the others (ThrottlingException, AccessDeniedException).
	Fail func(op string, in map[string]any) string
	// Reply, when set, is asked before each call (its operation:
	// "GetSecretValue", "Invoke"); a non-nil answer is sent as the
	// response, as it is, in place of the server's (tests use it for
	// the forms of AWS's error responses).
	Reply func(op string) *Reply
}

// Reply is a raw response.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

type secret struct {
	arn      string
	versions map[string]string   // id -> value
	empty    map[string]bool     // ids of versions created by RotateSecret that hold no value yet
	stages   map[string][]string // id -> stages
	rotation bool                // RotationEnabled
}

// New starts a server and stops it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{secrets: map[string]*secret{}, params: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Config returns an AWS configuration that sends every call to this server.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      aws.NewCredentialsCache(staticCreds{}),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	}
}

// Env returns the environment variables that point an AWS SDK at this server.
func (s *Server) Env() []string {
	return []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_ENDPOINT_URL=" + s.URL, "AWS_EC2_METADATA_DISABLED=true"}
}

// AccessKeyID and SecretAccessKey are the test credentials, which requests
// must be signed with.
const (
	AccessKeyID     = "AKIDTEST"
	SecretAccessKey = "test-secret-key"
)

type staticCreds struct{}

func (staticCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "awstest"}, nil
}

// PutSecret sets the current value of a secret, creating it if needed.
func (s *Server) PutSecret(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(name, value, []string{"AWSCURRENT"})
}

// SecretValue returns a secret's value at a stage.
func (s *Server) SecretValue(name, stage string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		return "", false
	}
	for id, stages := range sec.stages {
		for _, st := range stages {
			if st == stage && !sec.empty[id] {
				return sec.versions[id], true
			}
		}
	}
	return "", false
}

// PutParameter sets an SSM parameter.
func (s *Server) PutParameter(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = value
}

// Calls returns the operations called so far, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Request is a request the server received, as it came (the conformance
// tests compare what the generated SDK clients and rolekeeper's own send).
type Request struct {
	Method string
	// Path is the escaped path, as sent and signed.
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// SignatureError is why the signature was refused; empty when valid.
	SignatureError string
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) put(name, value string, stages []string) string {
	return s.putID(name, "", value, stages)
}

// putID is put with the version's id (a new one when empty).
func (s *Server) putID(name, id, value string, stages []string) string {
	sec := s.secrets[name]
	if sec == nil {
		sec = &secret{arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf", versions: map[string]string{}, empty: map[string]bool{}, stages: map[string][]string{}}
		s.secrets[name] = sec
	}
	if id == "" {
		id = newID()
	}
	s.putVersion(sec, id, value, stages)
	return id
}

// putVersion stores value as version id with stages, taking each stage
// off the version that had it (AWSCURRENT leaves AWSPREVIOUS behind).
func (s *Server) putVersion(sec *secret, id, value string, stages []string) {
	for _, st := range stages {
		if st == "AWSCURRENT" {
			if old := stageHolder(sec, st); old != "" && old != id {
				s.removeStage(sec, "AWSPREVIOUS", "")
				sec.stages[old] = append(sec.stages[old], "AWSPREVIOUS")
			}
		}
		s.removeStage(sec, st, "")
	}
	sec.versions[id] = value
	delete(sec.empty, id)
	for _, st := range stages {
		if !slices.Contains(sec.stages[id], st) {
			sec.stages[id] = append(sec.stages[id], st)
		}
	}
}

func stageHolder(sec *secret, stage string) string {
	for _, id := range sortedIDs(sec) {
		if slices.Contains(sec.stages[id], stage) {
			return id
		}
	}
	return ""
}

// StartRotation does what Secrets Manager does when a rotation starts
// (RotateSecret): it enables rotation on the secret and creates version
// token, staged AWSPENDING, holding no value. The rotation function's
// createSecret puts the value. It fails the test when the secret does
// not exist.
func (s *Server) StartRotation(t testing.TB, name string) (token string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.lookup(name)
	if sec == nil {
		t.Fatalf("awstest: no secret %s to rotate", name)
	}
	token = awscall.IdempotencyToken()
	s.removeStage(sec, "AWSPENDING", "")
	sec.rotation = true
	sec.versions[token] = ""
	sec.empty[token] = true
	sec.stages[token] = []string{"AWSPENDING"}
	return token
}

// Stages returns each version's stages of a secret (DescribeSecret's
// VersionIdsToStages), versions without stages left out.
func (s *Server) Stages(name string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	if sec := s.lookup(name); sec != nil {
		for id, st := range sec.stages {
			if len(st) > 0 {
				out[id] = slices.Clone(st)
			}
		}
	}
	return out
}

// VersionValue returns the value of one version of a secret.
func (s *Server) VersionValue(name, id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.lookup(name)
	if sec == nil || sec.empty[id] {
		return "", false
	}
	v, ok := sec.versions[id]
	return v, ok
}

func (s *Server) removeStage(sec *secret, stage, onlyID string) {
	for id, stages := range sec.stages {
		if onlyID != "" && id != onlyID {
			continue
		}
		var keep []string
		for _, st := range stages {
			if st != stage {
				keep = append(keep, st)
			}
		}
		sec.stages[id] = keep
	}
}

func (s *Server) lookup(id string) *secret {
	if sec := s.secrets[id]; sec != nil {
		return sec
	}
	for _, sec := range s.secrets {
		if sec.arn == id {
			return sec
		}
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sigErr := verifySignature(r, body)
	rec := Request{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	if sigErr != nil {
		rec.SignatureError = sigErr.Error()
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	if sigErr != nil {
		writeErr(w, 403, "InvalidSignatureException", "awstest: "+sigErr.Error())
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	invoke := strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/")
	if invoke {
		op = "Invoke"
	}
	if s.Reply != nil {
		if rep := s.Reply(op); rep != nil {
			maps.Copy(w.Header(), rep.Header)
			w.WriteHeader(rep.Status)
			io.WriteString(w, rep.Body)
			return
		}
	}
	if invoke {
		s.invoke(w, r, body)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, op)
	s.mu.Unlock()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, 400, "SerializationException", "body is not JSON")
		return
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	if op == "GetSecretValue" && s.BeforeGetSecret != nil {
		s.BeforeGetSecret(s, str("SecretId"))
	}
	if s.Fail != nil {
		if typ := s.Fail(op, in); typ != "" {
			status := 400 // as AWS answers a client error, throttling included
			if strings.HasPrefix(typ, "Internal") || typ == "ServiceUnavailable" {
				status = 500
			}
			writeErr(w, status, typ, "awstest: injected failure of "+op)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch target {
	case "secretsmanager.GetSecretValue":
		sec := s.lookup(str("SecretId"))
		stage, version := str("VersionStage"), str("VersionId")
		if stage == "" && version == "" {
			stage = "AWSCURRENT"
		}
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		for _, id := range sortedIDs(sec) {
			if (version == "" || id == version) && (stage == "" || slices.Contains(sec.stages[id], stage)) && !sec.empty[id] {
				writeJSON(w, map[string]any{"ARN": sec.arn, "Name": s.nameOf(sec), "SecretString": sec.versions[id], "VersionId": id, "VersionStages": sec.stages[id]})
				return
			}
		}
		writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: "+version+", staging label: "+stage)
	case "secretsmanager.DescribeSecret":
		sec := s.lookup(str("SecretId"))
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		stages := map[string][]string{}
		for id, st := range sec.stages {
			if len(st) > 0 {
				stages[id] = st
			}
		}
		writeJSON(w, map[string]any{"ARN": sec.arn, "Name": s.nameOf(sec), "RotationEnabled": sec.rotation, "VersionIdsToStages": stages})
	case "secretsmanager.CreateSecret":
		// The first version's id is the ClientRequestToken; the same
		// call again (same token and value) is ignored, as AWS does.
		id := str("ClientRequestToken")
		if sec := s.secrets[str("Name")]; sec != nil {
			if v, ok := sec.versions[id]; !ok || id == "" || v != str("SecretString") {
				writeErr(w, 400, "ResourceExistsException", "the secret exists")
				return
			}
		} else {
			id = s.putID(str("Name"), id, str("SecretString"), []string{"AWSCURRENT"})
		}
		writeJSON(w, map[string]any{"ARN": s.secrets[str("Name")].arn, "Name": str("Name"), "VersionId": id})
	case "secretsmanager.PutSecretValue":
		sec := s.lookup(str("SecretId"))
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		stages := []string{"AWSCURRENT"}
		if raw, ok := in["VersionStages"].([]any); ok {
			stages = nil
			for _, x := range raw {
				stages = append(stages, x.(string))
			}
		}
		id := str("ClientRequestToken")
		if id == "" {
			id = newID()
		}
		if old, exists := sec.versions[id]; exists && !sec.empty[id] {
			if old != str("SecretString") {
				writeErr(w, 400, "ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
				return
			}
		} else {
			s.putVersion(sec, id, str("SecretString"), stages)
		}
		writeJSON(w, map[string]any{"ARN": sec.arn, "Name": s.nameOf(sec), "VersionId": id, "VersionStages": sec.stages[id]})
	case "secretsmanager.UpdateSecretVersionStage":
		sec := s.lookup(str("SecretId"))
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		stage, from, to := str("VersionStage"), str("RemoveFromVersionId"), str("MoveToVersionId")
		if holder := stageHolder(sec, stage); to != "" && holder != "" && holder != to && holder != from {
			writeErr(w, 400, "InvalidParameterException", "The staging label "+stage+" is currently attached to version "+holder+", so you must explicitly reference that version in RemoveFromVersionId.")
			return
		}
		if from != "" && !slices.Contains(sec.stages[from], stage) {
			writeErr(w, 400, "InvalidParameterException", "The staging label "+stage+" is not attached to version "+from+".")
			return
		}
		if to != "" {
			if _, ok := sec.versions[to]; !ok {
				writeErr(w, 400, "InvalidParameterException", "no such version")
				return
			}
			if stage == "AWSCURRENT" && from != "" && from != to {
				s.removeStage(sec, "AWSPREVIOUS", "")
				sec.stages[from] = append(sec.stages[from], "AWSPREVIOUS")
			}
			s.removeStage(sec, stage, "")
			sec.stages[to] = append(sec.stages[to], stage)
		} else if from != "" {
			s.removeStage(sec, stage, from)
		}
		writeJSON(w, map[string]any{"ARN": sec.arn, "Name": str("SecretId")})
	case "AmazonSSM.GetParameter":
		v, ok := s.params[str("Name")]
		if !ok {
			writeErr(w, 400, "ParameterNotFound", "parameter not found")
			return
		}
		writeJSON(w, map[string]any{"Parameter": map[string]any{"Name": str("Name"), "Value": v, "Type": "SecureString", "Version": 1}})
	default:
		writeErr(w, 400, "UnknownOperationException", fmt.Sprintf("awstest does not implement %q", target))
	}
}

func (s *Server) nameOf(sec *secret) string {
	for name, x := range s.secrets {
		if x == sec {
			return name
		}
	}
	return ""
}

func sortedIDs(sec *secret) []string {
	ids := make([]string, 0, len(sec.versions))
	for id := range sec.versions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (s *Server) invoke(w http.ResponseWriter, r *http.Request, payload []byte) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
	s.mu.Lock()
	s.calls = append(s.calls, "Invoke")
	handler := s.Lambda
	s.mu.Unlock()
	if handler == nil {
		writeErr(w, 404, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	status, funcErr, logTail, body := handler(name, payload, r.Header.Get("X-Amz-Log-Type"))
	if funcErr != "" {
		w.Header().Set("X-Amz-Function-Error", funcErr)
	}
	if logTail != "" {
		w.Header().Set("X-Amz-Log-Result", logTail)
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// verifySignature checks a request's Signature Version 4 signature as
// AWS does: it signs again, with the AWS SDK's own signer and the test
// credentials, the request made of the headers the Authorization header
// lists, and compares. A client that signs the wrong region, service,
// path, headers or body is refused (InvalidSignatureException).
func verifySignature(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return fmt.Errorf("the request is not signed with Signature Version 4")
	}
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/") // key id, date, region, service, aws4_request
	if len(scope) != 5 || scope[0] != AccessKeyID || scope[4] != "aws4_request" {
		return fmt.Errorf("bad credential scope %q", fields["Credential"])
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("bad X-Amz-Date: %v", err)
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	again.ContentLength = r.ContentLength
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h == "host" {
			again.Host = r.Host
			continue
		}
		again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey},
		again, hex.EncodeToString(sum[:]), scope[3], scope[2], when)
	if err != nil {
		return err
	}
	if got := again.Header.Get("Authorization"); got != auth {
		return fmt.Errorf("the signature does not match (signed %s, expected %s)", auth, got)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
