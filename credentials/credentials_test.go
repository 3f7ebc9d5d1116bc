package credentials_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/credentials"
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

func TestSameSecretByNameARNAndSSMReference(t *testing.T) {
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf"
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"rds!db-1234", "rds!db-1234", true},
		{"rds!db-1234", arn, true},
		{arn, "/aws/reference/secretsmanager/rds!db-1234", true},
		{"/aws/reference/secretsmanager/" + arn, "rds!db-1234", true},
		{"rds!db-1234", "rds!db-12345", false},
		{"app/reporting", arn, false},
		{"rds!db", arn, false}, // only the six-character suffix is AWS's
		{"", "", false},
	} {
		if got := credentials.SameSecret(c.a, c.b); got != c.same {
			t.Errorf("SameSecret(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
