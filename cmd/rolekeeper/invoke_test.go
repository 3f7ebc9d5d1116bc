package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
)

func TestInvokeShowsTheLogTailAndFailsOnAFunctionError(t *testing.T) {
	srv := awstest.New(t)
	for _, e := range srv.Env() {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	var got map[string]any
	srv.Lambda = func(fn string, payload []byte, logType string) (int, string, string, []byte) {
		json.Unmarshal(payload, &got)
		tail := ""
		if logType == "Tail" {
			tail = base64.StdEncoding.EncodeToString([]byte("START RequestId: 1\n{\"msg\":\"applied\"}\nEND RequestId: 1\n"))
		}
		switch got["action"] {
		case "apply":
			return 200, "Unhandled", tail, []byte(`{"errorMessage":"apply: the plan has problems, nothing was changed","errorType":"wrapError"}`)
		case "plan":
			return 200, "", tail, []byte(`{"format_version":1,"changed":true,"changes":[]}`)
		}
		return 200, "", tail, []byte(`{"format_version":1,"changed":false}`)
	}

	code, out, errOut := rk(t, "invoke", "--function", "rolekeeper-app", "--action", "apply", "-f", example)
	if code != 1 || !strings.Contains(errOut, "function error (Unhandled): apply: the plan has problems") {
		t.Fatalf("function error: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, `{"msg":"applied"}`) || !strings.Contains(errOut, "log tail of rolekeeper-app") {
		t.Fatalf("the log tail is not shown:\n%s", errOut)
	}
	if !strings.Contains(out, "errorMessage") {
		t.Fatalf("the result is not shown:\n%s", out)
	}
	cfg, _ := got["config"].(map[string]any)
	if roles, _ := cfg["roles"].(map[string]any); roles["reporting"] == nil {
		t.Fatalf("the spec was not sent as the event's config: %v", got)
	}
	if code, _, _ := rk(t, "invoke", "--function", "rolekeeper-app", "--action", "plan"); code != 2 {
		t.Fatalf("a plan with changes should exit 2, got %d", code)
	}
	if code, _, errOut := rk(t, "invoke", "--function", "rolekeeper-app", "--action", "check"); code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	if code, _, errOut := rk(t, "invoke", "--function", "x", "-f", writeSpec(t, "roles: {a: {logn: true}}")); code != 1 || !strings.Contains(errOut, `unknown field "logn"`) {
		t.Fatalf("a bad spec must fail before any call: %d %s", code, errOut)
	}
	calls := strings.Join(srv.Calls(), ",")
	if strings.Count(calls, "Invoke") != 3 {
		t.Fatalf("calls: %s", calls)
	}
}
