package ssm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/ssm"
)

func TestAdminParameterReadsPlainValuesAndSecretReferences(t *testing.T) {
	srv := awstest.New(t)
	cfg := srv.Config()
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	ctx := context.Background()
	srv.PutParameter("/app/db-password", "plain-value")
	c, err := ssm.AdminParameter{Name: "/app/db-password", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.Password != "plain-value" || c.User != "" {
		t.Fatalf("plain parameter: %v", err)
	}
	srv.PutParameter("/aws/reference/secretsmanager/rds!cluster-abc", `{"username":"postgres","password":"from-ref"}`)
	c, err = ssm.AdminParameter{Name: "/aws/reference/secretsmanager/rds!cluster-abc", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.Password != "from-ref" || c.User != "postgres" {
		t.Fatalf("secret reference parameter: %v", err)
	}
	if got := strings.Join(srv.Calls(), ","); !strings.Contains(got, "GetParameter") {
		t.Fatalf("calls: %s", got)
	}
}

// TestAdminParameterErrorsSayWhatToDo: a missing parameter names its code
// and what to check; throttling is retried by the SDK's standard retryer;
// a request signed with other credentials is refused by the endpoint and
// not retried.
func TestAdminParameterErrorsSayWhatToDo(t *testing.T) {
	srv := awstest.New(t)
	cfg := srv.Config()
	cfg.RetryMaxAttempts = 3
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	ctx := context.Background()
	_, err := ssm.AdminParameter{Name: "/app/missing", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err == nil || !strings.Contains(err.Error(), "read the admin parameter /app/missing: SSM GetParameter: ParameterNotFound") ||
		!strings.Contains(err.Error(), "check the parameter's name and the region") {
		t.Fatalf("missing parameter: %v", err)
	}
	srv.PutParameter("/app/db-password", "after-throttling")
	throttled := 0
	srv.Fail = func(op string, _ map[string]any) string {
		if throttled < 2 {
			throttled++
			return "ThrottlingException"
		}
		return ""
	}
	c, err := ssm.AdminParameter{Name: "/app/db-password", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.Password != "after-throttling" || throttled != 2 {
		t.Fatalf("throttled twice, then: %v (throttled %d times)", err, throttled)
	}
	srv.Fail = nil
	before := len(srv.Calls())
	bad := cfg
	bad.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: awstest.AccessKeyID, SecretAccessKey: "not-the-key"}, nil
	}))
	_, err = ssm.AdminParameter{Name: "/app/db-password", AWS: func(context.Context) (aws.Config, error) { return bad, nil }}.Fetch(ctx, "db", 5432, "")
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") || strings.Contains(err.Error(), "after-throttling") {
		t.Fatalf("wrongly signed: %v", err)
	}
	if len(srv.Calls()) != before {
		t.Fatalf("a refused signature reached the operation: %v", srv.Calls()[before:])
	}
	noRegion := cfg
	noRegion.Region, noRegion.BaseEndpoint = "", nil
	_, err = ssm.AdminParameter{Name: "/app/db-password", AWS: func(context.Context) (aws.Config, error) { return noRegion, nil }}.Fetch(ctx, "db", 5432, "")
	if err == nil || !strings.Contains(err.Error(), "no AWS region is configured") {
		t.Fatalf("no region: %v", err)
	}
}
