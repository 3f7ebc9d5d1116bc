// Package lambdaapi calls the AWS Lambda API's Invoke operation (REST-JSON:
// POST /2015-03-31/functions/{FunctionName}/invocations), for
// `rolekeeper invoke`, through package awscall rather than the generated
// Lambda client.
package lambdaapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/awscall"
)

// Result is a synchronous invocation's outcome.
type Result struct {
	// StatusCode is the HTTP status (200 for RequestResponse).
	StatusCode int
	// FunctionError is set when the function failed ("Unhandled").
	FunctionError string
	// LogTail is the last 4 KB of the invocation's log (decoded).
	LogTail []byte
	// Payload is the function's response, or its error document.
	Payload []byte
	// ExecutedVersion is the version of the function that ran.
	ExecutedVersion string
}

// Invoke runs function (a name, a name with a qualifier, or an ARN)
// synchronously with payload, and returns its log tail.
func Invoke(ctx context.Context, cfg aws.Config, function string, payload []byte) (*Result, error) {
	c, err := awscall.New(cfg, awscall.Lambda)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	// The payload is a blob: the SDK sends it as application/octet-stream
	// (lambda@v1.114.4/request_snapshot/Invoke.request.snap).
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Amz-Invocation-Type", "RequestResponse")
	h.Set("X-Amz-Log-Type", "Tail")
	resp, err := c.Do(ctx, awscall.Request{Operation: "Invoke", Method: http.MethodPost,
		Path: "/2015-03-31/functions/" + escapeSegment(function) + "/invocations", Header: h, Body: payload})
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, hint(err))
	}
	r := &Result{StatusCode: resp.Status, FunctionError: resp.Header.Get("X-Amz-Function-Error"),
		Payload: resp.Body, ExecutedVersion: resp.Header.Get("X-Amz-Executed-Version")}
	if tail := resp.Header.Get("X-Amz-Log-Result"); tail != "" {
		if r.LogTail, err = base64.StdEncoding.DecodeString(tail); err != nil {
			return nil, fmt.Errorf("invoke: the log tail Lambda returned is not base64: %w", err)
		}
	}
	return r, nil
}

// escapeSegment percent-encodes a path segment as the SDK's REST
// serializers do: everything but unreserved characters (RFC 3986), so an
// ARN's colons are encoded.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hint(err error) string {
	switch {
	case awscall.IsCode(err, "ResourceNotFoundException"):
		return " (check --function or ROLEKEEPER_FUNCTION, and the region)"
	case awscall.IsCode(err, "AccessDeniedException"):
		return " (the caller needs lambda:InvokeFunction on the function)"
	}
	return ""
}
