package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// AdminSource says where the admin connection's password comes from, in
// this order: a Secrets Manager secret (such as the RDS-managed master
// secret {"username","password"}), an SSM parameter (SecureString: a
// password, or the JSON of a secret through /aws/reference/secretsmanager/),
// or an RDS IAM authentication token signed locally. With none set, the DSN
// or PGPASSWORD is used as it is.
type AdminSource struct {
	SecretID     string
	SSMParameter string
	IAM          bool
	// AWS loads the AWS configuration when a source needs it.
	AWS func(ctx context.Context) (aws.Config, error)
}

// Enabled reports whether a source other than the DSN is set.
func (a AdminSource) Enabled() bool { return a.SecretID != "" || a.SSMParameter != "" || a.IAM }

// Refetchable reports whether fetching again may give another password
// (RDS rotates its managed master secret).
func (a AdminSource) Refetchable() bool { return a.SecretID != "" || a.SSMParameter != "" }

// Credential is what a source gives: a password, and a user name when
// the source holds one.
type Credential struct {
	User     string
	Password string
}

// Fetch returns the admin credential. For IAM, host and port name the
// endpoint the token is signed for and user the database user.
func (a AdminSource) Fetch(ctx context.Context, host string, port uint16, user string) (Credential, error) {
	if !a.Enabled() {
		return Credential{}, errors.New("no admin credential source configured")
	}
	if a.AWS == nil {
		return Credential{}, errors.New("no AWS configuration available for the admin credential")
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return Credential{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	switch {
	case a.SecretID != "":
		out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &a.SecretID})
		if err != nil {
			return Credential{}, fmt.Errorf("read the admin secret %s: %w", a.SecretID, err)
		}
		return parseCredential("secret "+a.SecretID, aws.ToString(out.SecretString))
	case a.SSMParameter != "":
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: &a.SSMParameter, WithDecryption: aws.Bool(true)})
		if err != nil {
			return Credential{}, fmt.Errorf("read the admin parameter %s: %w", a.SSMParameter, err)
		}
		return parseCredential("parameter "+a.SSMParameter, aws.ToString(out.Parameter.Value))
	default:
		token, err := IAMToken(ctx, cfg, host, port, user)
		if err != nil {
			return Credential{}, err
		}
		return Credential{Password: token}, nil
	}
}

// IAMToken signs an RDS IAM authentication token for user at host:port.
func IAMToken(ctx context.Context, cfg aws.Config, host string, port uint16, user string) (string, error) {
	if cfg.Region == "" {
		return "", errors.New("IAM authentication needs an AWS region (AWS_REGION)")
	}
	token, err := auth.BuildAuthToken(ctx, fmt.Sprintf("%s:%d", host, port), cfg.Region, user, cfg.Credentials)
	if err != nil {
		return "", fmt.Errorf("sign an IAM authentication token for %s: %w", user, err)
	}
	return token, nil
}

// parseCredential accepts a JSON secret with a password (and a username),
// or a bare password.
func parseCredential(what, raw string) (Credential, error) {
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
