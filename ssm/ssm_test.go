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
