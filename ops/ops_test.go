package ops_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/dirstore"
	"github.com/rolekeeper/rolekeeper/ops"
)

// TestABrokenAWSConfigurationIsAnErrorNotNoAWS: a configuration that
// cannot be loaded is reported (with the way out), not taken for a
// machine without AWS; no region at all means no Secrets Manager.
func TestABrokenAWSConfigurationIsAnErrorNotNoAWS(t *testing.T) {
	ctx := context.Background()
	broken := func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("profile \"x\" not found") }
	if _, err := ops.SecretStore(ctx, "", broken); err == nil || !strings.Contains(err.Error(), `profile "x" not found`) || !strings.Contains(err.Error(), "--secrets-dir") {
		t.Fatalf("broken AWS configuration: got %v", err)
	}
	if _, err := ops.Tokens(broken)(ctx, "db", 5432, "app"); err == nil {
		t.Fatal("an IAM token was given without an AWS configuration")
	}
	none := func(context.Context) (aws.Config, error) { return aws.Config{}, nil }
	if s, err := ops.SecretStore(ctx, "", none); s != nil || err != nil {
		t.Fatalf("no region: got %v, %v; want no store and no error", s, err)
	}
	if s, err := ops.SecretStore(ctx, t.TempDir(), broken); err != nil || s == nil {
		t.Fatalf("a secrets directory needs no AWS: %v", err)
	} else if _, ok := s.(dirstore.Store); !ok {
		t.Fatalf("a secrets directory gave %T", s)
	}
	if src := (ops.AdminCredential{}).Source(broken); src != nil {
		t.Fatalf("no admin source configured gave %T", src)
	}
	if src := (ops.AdminCredential{Secret: "s", SSMParameter: "p", IAM: true}).Source(broken); src == nil || !strings.Contains(src.Describe(), "secret s") {
		t.Fatalf("the secret comes first: %v", src)
	}
}

// TestAWSConfigurationIsLoadedOnce: the admin's secret, the store and the
// tokens of one run share one load; a failed load is tried again.
func TestAWSConfigurationIsLoadedOnce(t *testing.T) {
	ctx := context.Background()
	loads, fail := 0, true
	load := ops.LoadOnce(func(context.Context) (aws.Config, error) {
		loads++
		if fail {
			return aws.Config{}, errors.New("no credentials yet")
		}
		return aws.Config{Region: "eu-west-1"}, nil
	})
	if _, err := load(ctx); err == nil {
		t.Fatal("the failed load was not reported")
	}
	fail = false
	for i := 0; i < 3; i++ {
		if cfg, err := load(ctx); err != nil || cfg.Region != "eu-west-1" {
			t.Fatalf("load %d: %v %v", i, cfg.Region, err)
		}
	}
	if loads != 2 {
		t.Fatalf("loaded %d times, want 2 (the failure, then once)", loads)
	}
}
