package credentials_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
)

func TestGeneratedPasswordsAreLongRandomAndURLSafe(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		pw, err := credentials.GeneratePassword(32)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(pw) {
			t.Fatalf("password %d has the wrong shape", i)
		}
		if seen[pw] {
			t.Fatal("a password repeated")
		}
		seen[pw] = true
	}
}

func TestScramVerifierHasPostgresShape(t *testing.T) {
	salt := []byte("0123456789abcdef")
	v1, err := credentials.ScramVerifier("pencil", salt)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := credentials.ScramVerifier("pencil", salt)
	if v1 != v2 {
		t.Fatal("same password and salt gave different verifiers")
	}
	m := regexp.MustCompile(`^SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$`).FindStringSubmatch(v1)
	if m == nil {
		t.Fatalf("verifier %q is not in PostgreSQL's format", v1)
	}
	if got, _ := base64.StdEncoding.DecodeString(m[1]); string(got) != string(salt) {
		t.Fatal("salt not encoded in the verifier")
	}
	if strings.Contains(v1, "pencil") {
		t.Fatal("the verifier contains the password")
	}
	v3, _ := credentials.ScramVerifier("pencil", nil)
	if v3 == v1 {
		t.Fatal("a random salt gave the fixed salt's verifier")
	}
}

func TestDBSecretNeverPrintsItsPassword(t *testing.T) {
	s := credentials.DBSecret{Engine: "postgres", Host: "h", Port: 5432, Username: "u", Password: "hunter2-secret", DBName: "app"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, s); strings.Contains(out, "hunter2") {
			t.Errorf("%s prints the password: %s", format, out)
		}
	}
}

func TestSecretsManagerStoreThroughTheSDK(t *testing.T) {
	srv := awstest.New(t)
	store := credentials.NewSecretsManager(srv.Config())
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

func TestAdminSourcesReadSecretsAndParameters(t *testing.T) {
	srv := awstest.New(t)
	cfg := srv.Config()
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	ctx := context.Background()
	srv.PutSecret("rds!cluster-abc", `{"username":"postgres","password":"p@ss/w?rd:%'"}`)
	c, err := credentials.AdminSource{SecretID: "rds!cluster-abc", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.User != "postgres" || c.Password != `p@ss/w?rd:%'` {
		t.Fatalf("RDS managed secret: %+v %v", c.User, err)
	}
	srv.PutParameter("/app/db-password", "plain-value")
	c, err = credentials.AdminSource{SSMParameter: "/app/db-password", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.Password != "plain-value" || c.User != "" {
		t.Fatalf("plain parameter: %v", err)
	}
	srv.PutParameter("/aws/reference/secretsmanager/rds!cluster-abc", `{"username":"postgres","password":"from-ref"}`)
	c, err = credentials.AdminSource{SSMParameter: "/aws/reference/secretsmanager/rds!cluster-abc", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil || c.Password != "from-ref" || c.User != "postgres" {
		t.Fatalf("secret reference parameter: %v", err)
	}
	_, err = credentials.AdminSource{SecretID: "missing", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err == nil || !strings.Contains(err.Error(), "read the admin secret missing") {
		t.Fatalf("missing secret: %v", err)
	}
	srv.PutSecret("broken", `{"username":"postgres","password":"sekrit-value"`)
	_, err = credentials.AdminSource{SecretID: "broken", AWS: load}.Fetch(ctx, "db", 5432, "")
	if err == nil || strings.Contains(err.Error(), "sekrit") {
		t.Fatalf("a malformed secret's error must not quote it: %v", err)
	}
	got := strings.Join(srv.Calls(), ",")
	if !strings.Contains(got, "GetSecretValue") || !strings.Contains(got, "GetParameter") {
		t.Fatalf("calls: %s", got)
	}
}

func TestIAMTokenIsSignedLocally(t *testing.T) {
	srv := awstest.New(t)
	token, err := credentials.IAMToken(context.Background(), srv.Config(), "db.cluster-x.us-east-1.rds.amazonaws.com", 5432, "app")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"db.cluster-x.us-east-1.rds.amazonaws.com:5432?Action=connect", "DBUser=app", "X-Amz-Signature="} {
		if !strings.Contains(token, want) {
			t.Errorf("token lacks %q", want)
		}
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("signing called AWS: %v", srv.Calls())
	}
}

func TestDirStoreKeepsStagesAndRefusesPathTricks(t *testing.T) {
	dir := t.TempDir()
	store := credentials.DirStore{Dir: dir}
	ctx := context.Background()
	if _, err := store.Create(ctx, "../../etc/evil", credentials.DBSecret{Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if v, err := store.Get(ctx, "../../etc/evil", credentials.StageCurrent); err != nil || v.Secret.Password != "p" {
		t.Fatalf("get: %v", err)
	}
	if _, err := store.Create(ctx, "../../etc/evil", credentials.DBSecret{Password: "x"}); err == nil {
		t.Fatal("create overwrote an existing secret")
	}
}

// TestServiceEndpointVariableIsHonoured: the standard SDK configuration,
// with AWS_ENDPOINT_URL_SECRETS_MANAGER pointing at the in-test endpoint
// while the general AWS_ENDPOINT_URL points nowhere.
func TestServiceEndpointVariableIsHonoured(t *testing.T) {
	srv := awstest.New(t)
	srv.PutSecret("admin", `{"username":"postgres","password":"from-the-service-endpoint"}`)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	load := func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	c, err := credentials.AdminSource{SecretID: "admin", AWS: load}.Fetch(context.Background(), "db", 5432, "")
	if err != nil || c.Password != "from-the-service-endpoint" {
		t.Fatalf("got %v", err)
	}
}
