package secretsmanager_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/secretsmanager"
)

func TestSecretsManagerStoreThroughTheSDK(t *testing.T) {
	srv := awstest.New(t)
	store := secretsmanager.New(srv.Config())
	ctx := context.Background()
	if _, err := store.Get(ctx, "app/reporting", credentials.StageCurrent); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("missing secret: got %v, want ErrNotFound", err)
	}
	first := credentials.DBSecret{Engine: "postgres", Host: "db", Port: 5432, Username: "reporting", Password: "first", DBName: "app"}
	if _, err := store.Create(ctx, "app/reporting", first); err != nil {
		t.Fatal(err)
	}
	raw, _ := srv.SecretValue("app/reporting", "AWSCURRENT")
	for _, field := range []string{`"engine":"postgres"`, `"host":"db"`, `"port":5432`, `"username":"reporting"`, `"dbname":"app"`} {
		if !strings.Contains(raw, field) {
			t.Errorf("secret lacks the RDS field %s: %s", field, raw)
		}
	}
	next := first
	next.Password = "second"
	pending, err := store.PutPending(ctx, "app/reporting", next)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := store.Get(ctx, "app/reporting", credentials.StageCurrent); cur.Secret.Password != "first" {
		t.Fatal("a pending value replaced the current one")
	}
	if err := store.Promote(ctx, "app/reporting", pending.ID); err != nil {
		t.Fatal(err)
	}
	if cur, _ := store.Get(ctx, "app/reporting", credentials.StageCurrent); cur.Secret.Password != "second" {
		t.Fatal("promote did not make the pending value current")
	}
	if _, err := store.Get(ctx, "app/reporting", credentials.StagePending); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("the promoted value is still pending: %v", err)
	}
	if prev, ok := srv.SecretValue("app/reporting", "AWSPREVIOUS"); !ok || !strings.Contains(prev, "first") {
		t.Fatal("the old value is not AWSPREVIOUS")
	}
}

func TestAdminSecretReadsTheRDSManagedSecret(t *testing.T) {
	srv := awstest.New(t)
	cfg := srv.Config()
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	ctx := context.Background()
	srv.PutSecret("rds!cluster-abc", `{"username":"postgres","password":"p@ss/w?rd:%'"}`)
	c, err := secretsmanager.AdminSecret{ID: "rds!cluster-abc", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.User != "postgres" || c.Password != `p@ss/w?rd:%'` {
		t.Fatalf("RDS managed secret: %+v %v", c.User, err)
	}
	_, err = secretsmanager.AdminSecret{ID: "missing", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err == nil || !strings.Contains(err.Error(), "read the admin secret missing") {
		t.Fatalf("missing secret: %v", err)
	}
	srv.PutSecret("broken", `{"username":"postgres","password":"sekrit-value"`)
	_, err = secretsmanager.AdminSecret{ID: "broken", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err == nil || strings.Contains(err.Error(), "sekrit") {
		t.Fatalf("a malformed secret's error must not quote it: %v", err)
	}
	if got := strings.Join(srv.Calls(), ","); !strings.Contains(got, "GetSecretValue") {
		t.Fatalf("calls: %s", got)
	}
}

// TestServiceEndpointVariableIsHonoured: the standard SDK configuration,
// with AWS_ENDPOINT_URL_SECRETS_MANAGER pointing at the in-test endpoint
// while the general AWS_ENDPOINT_URL points nowhere.
func TestServiceEndpointVariableIsHonoured(t *testing.T) {
	srv := awstest.New(t)
	srv.PutSecret("admin", `{"username":"postgres","password":"from-the-service-endpoint"}`)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	load := func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	c, err := secretsmanager.AdminSecret{ID: "admin", AWS: load}.Fetch(context.Background(), "db", 5432, "")
	if err != nil || c.Password != "from-the-service-endpoint" {
		t.Fatalf("got %v", err)
	}
}

func TestCheckNameFollowsSecretsManagersRules(t *testing.T) {
	store := secretsmanager.New(awstest.New(t).Config())
	for _, name := range []string{"rolekeeper/app/reporting", "a+b=c.d@e-f_g/H9", strings.Repeat("x", 512)} {
		if err := store.CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "rolekeeper/app/user één", "app/a b", "app/it's", strings.Repeat("x", 513)} {
		if err := store.CheckName(name); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", name)
		}
	}
}
