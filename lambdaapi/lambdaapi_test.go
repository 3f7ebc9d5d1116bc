package lambdaapi_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/lambdaapi"
)

// TestInvokeSendsThePayloadAndReturnsTheLogTail: a qualified ARN reaches
// the endpoint as the function's name (its colons escaped in the signed
// path), the payload as sent, the log tail is asked for and decoded, and
// a function error is reported as the function's, not as a call failure.
func TestInvokeSendsThePayloadAndReturnsTheLogTail(t *testing.T) {
	srv := awstest.New(t)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:rolekeeper-app:live"
	var gotName, gotPayload, gotLogType string
	srv.Lambda = func(fn string, payload []byte, logType string) (int, string, string, []byte) {
		gotName, gotPayload, gotLogType = fn, string(payload), logType
		if strings.Contains(string(payload), "fail") {
			return 200, "Unhandled", "", []byte(`{"errorMessage":"boom","errorType":"wrapError"}`)
		}
		return 200, "", base64.StdEncoding.EncodeToString([]byte("END RequestId: 1\n")), []byte(`{"changed":false}`)
	}
	ctx := context.Background()
	r, err := lambdaapi.Invoke(ctx, srv.Config(), arn, []byte(`{"action":"plan"}`))
	if err != nil {
		t.Fatal(err)
	}
	if gotName != arn || gotPayload != `{"action":"plan"}` || gotLogType != "Tail" {
		t.Fatalf("the endpoint got function %q, payload %q, log type %q", gotName, gotPayload, gotLogType)
	}
	if string(r.LogTail) != "END RequestId: 1\n" || string(r.Payload) != `{"changed":false}` || r.FunctionError != "" || r.ExecutedVersion != "$LATEST" {
		t.Fatalf("result: %+v", r)
	}
	r, err = lambdaapi.Invoke(ctx, srv.Config(), "rolekeeper-app", []byte(`{"action":"fail"}`))
	if err != nil || r.FunctionError != "Unhandled" || !strings.Contains(string(r.Payload), "boom") {
		t.Fatalf("function error: %+v %v", r, err)
	}
}

// TestInvokeOfAMissingFunctionSaysWhatToCheck: the service's error code
// and message, and what to check.
func TestInvokeOfAMissingFunctionSaysWhatToCheck(t *testing.T) {
	srv := awstest.New(t)
	_, err := lambdaapi.Invoke(context.Background(), srv.Config(), "nope", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "Lambda Invoke: ResourceNotFoundException: Function not found: nope (HTTP 404") ||
		!strings.Contains(err.Error(), "check --function or ROLEKEEPER_FUNCTION") {
		t.Fatalf("got %v", err)
	}
}
