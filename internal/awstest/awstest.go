// Package awstest is an in-test HTTP server that speaks the wire protocol
// of the AWS APIs rolekeeper calls (Secrets Manager and SSM over JSON 1.1,
// Lambda Invoke over REST-JSON), so tests exercise the real AWS SDK end to
// end. It keeps state in memory and records every call.
package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Server is a fake AWS endpoint.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]*secret
	params  map[string]string
	calls   []string
	// Lambda handles Invoke calls when set: it gets the function name,
	// the payload and the LogType header, and returns the status, the
	// function error (empty for none), the log tail and the response.
	Lambda func(function string, payload []byte, logType string) (status int, funcErr, logTail string, body []byte)
	// BeforeGetSecret, when set, runs before each GetSecretValue (tests
	// use it to rotate a value between calls).
	BeforeGetSecret func(s *Server, name string)
}

type secret struct {
	arn      string
	versions map[string]string   // id -> value
	stages   map[string][]string // id -> stages
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
	return []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=test-secret-key",
		"AWS_ENDPOINT_URL=" + s.URL, "AWS_EC2_METADATA_DISABLED=true"}
}

type staticCreds struct{}

func (staticCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret-key", Source: "awstest"}, nil
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
			if st == stage {
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

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) put(name, value string, stages []string) string {
	sec := s.secrets[name]
	if sec == nil {
		sec = &secret{arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf", versions: map[string]string{}, stages: map[string][]string{}}
		s.secrets[name] = sec
	}
	id := newID()
	for _, st := range stages {
		s.removeStage(sec, st, "")
	}
	sec.versions[id] = value
	sec.stages[id] = stages
	return id
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
	if strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") {
		s.invoke(w, r, body)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if r.Header.Get("Authorization") == "" || !strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		writeErr(w, 403, "MissingAuthenticationTokenException", "request is not signed")
		return
	}
	op := target[strings.LastIndex(target, ".")+1:]
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
	s.mu.Lock()
	defer s.mu.Unlock()
	switch target {
	case "secretsmanager.GetSecretValue":
		sec := s.lookup(str("SecretId"))
		stage := str("VersionStage")
		if stage == "" {
			stage = "AWSCURRENT"
		}
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		for _, id := range sortedIDs(sec) {
			for _, st := range sec.stages[id] {
				if st == stage {
					writeJSON(w, map[string]any{"ARN": sec.arn, "Name": str("SecretId"), "SecretString": sec.versions[id], "VersionId": id, "VersionStages": sec.stages[id]})
					return
				}
			}
		}
		writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+stage)
	case "secretsmanager.CreateSecret":
		if s.secrets[str("Name")] != nil {
			writeErr(w, 400, "ResourceExistsException", "the secret exists")
			return
		}
		id := s.put(str("Name"), str("SecretString"), []string{"AWSCURRENT"})
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
		id := s.put(str("SecretId"), str("SecretString"), stages)
		writeJSON(w, map[string]any{"ARN": sec.arn, "Name": str("SecretId"), "VersionId": id, "VersionStages": stages})
	case "secretsmanager.UpdateSecretVersionStage":
		sec := s.lookup(str("SecretId"))
		if sec == nil {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		stage := str("VersionStage")
		if from := str("RemoveFromVersionId"); from != "" {
			s.removeStage(sec, stage, from)
			if stage == "AWSCURRENT" {
				sec.stages[from] = append(sec.stages[from], "AWSPREVIOUS")
			}
		}
		if to := str("MoveToVersionId"); to != "" {
			if _, ok := sec.versions[to]; !ok {
				writeErr(w, 400, "InvalidParameterException", "no such version")
				return
			}
			s.removeStage(sec, stage, "")
			sec.stages[to] = append(sec.stages[to], stage)
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
