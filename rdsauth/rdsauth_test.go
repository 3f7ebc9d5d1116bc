package rdsauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/rdsauth"
)

func TestIAMTokenIsSignedLocally(t *testing.T) {
	srv := awstest.New(t)
	token, err := rdsauth.Token(context.Background(), srv.Config(), "db.cluster-x.us-east-1.rds.amazonaws.com", 5432, "app")
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
