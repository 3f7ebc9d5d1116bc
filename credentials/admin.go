package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Credential is what an admin source gives: a password, and a user name
// when the source holds one.
type Credential struct {
	User     string
	Password string
}

// AdminSource is where the admin connection's password comes from when it
// is not in the DSN or PGPASSWORD: a Secrets Manager secret (package
// secretsmanager), an SSM parameter (package ssm) or an IAM token (package
// rdsauth).
type AdminSource interface {
	// Fetch returns the admin credential. host, port and user name the
	// endpoint and the database user (IAM tokens are signed for them).
	Fetch(ctx context.Context, host string, port uint16, user string) (Credential, error)
	// Refetchable reports whether fetching again after an authentication
	// failure may give another password (RDS rotates its master secret).
	Refetchable() bool
	// RequiresTLS reports whether the credential may only travel over TLS
	// (IAM tokens).
	RequiresTLS() bool
	// Describe names the source for messages ("secret rds!cluster-1").
	Describe() string
}

// TokenFunc signs an IAM authentication token for user at host:port. It is
// how check logs in as auth: iam users; nil when IAM is not configured.
type TokenFunc func(ctx context.Context, host string, port uint16, user string) (string, error)

// ParseCredential accepts a JSON secret with a password (and a username),
// or a bare password. what names the source in errors, which never quote
// the value.
func ParseCredential(what, raw string) (Credential, error) {
	trimmed := strings.TrimSpace(raw)
	if strings.HasPrefix(trimmed, "{") {
		var s struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := json.Unmarshal([]byte(trimmed), &s); err != nil || s.Password == "" {
			return Credential{}, fmt.Errorf("%s is JSON without a password field", what)
		}
		return Credential{User: s.Username, Password: s.Password}, nil
	}
	if raw == "" {
		return Credential{}, fmt.Errorf("%s is empty", what)
	}
	return Credential{Password: raw}, nil
}
