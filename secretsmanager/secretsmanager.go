// Package secretsmanager is rolekeeper's side of AWS Secrets Manager: the
// store for the passwords of auth: password users (credentials.Store), and
// the admin's own secret (credentials.AdminSource), such as the one RDS
// manages for the master user. It calls the JSON 1.1 API through package
// awscall (the SDK's credentials, signer and retryer), not the generated
// service client.
package secretsmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/awscall"
	"github.com/rolekeeper/rolekeeper/credentials"
)

// Store is a credentials.Store backed by AWS Secrets Manager.
type Store struct {
	client *awscall.Client
	err    error // why there is no client (no region)
	// KMSKeyID encrypts new secrets (the account's default key when empty).
	KMSKeyID string
	// Tags are set on secrets rolekeeper creates.
	Tags map[string]string
}

// New returns a Store for the AWS configuration cfg (region,
// credentials chain and endpoint settings such as AWS_ENDPOINT_URL).
func New(cfg aws.Config) *Store {
	c, err := awscall.New(cfg, awscall.SecretsManager)
	return &Store{client: c, err: err}
}

// call runs an operation ("GetSecretValue") of the Secrets Manager API.
func (m *Store) call(ctx context.Context, op string, in, out any) error {
	if m.err != nil {
		return m.err
	}
	return m.client.JSON(ctx, "secretsmanager."+op, in, out)
}

// secretValue is GetSecretValue's answer, as far as it is used.
type secretValue struct {
	SecretString *string
	VersionID    string `json:"VersionId"`
}

// versionOut is the answer of CreateSecret and PutSecretValue.
type versionOut struct {
	VersionID string `json:"VersionId"`
}

func notFound(err error) bool { return awscall.IsCode(err, "ResourceNotFoundException") }

// getValue reads a version's secret string.
func (m *Store) getValue(ctx context.Context, id, versionID, stage string) (*secretValue, error) {
	in := map[string]any{"SecretId": id}
	if stage != "" {
		in["VersionStage"] = stage
	}
	if versionID != "" {
		in["VersionId"] = versionID
	}
	var out secretValue
	if err := m.call(ctx, "GetSecretValue", in, &out); err != nil {
		return nil, err
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("secret %s holds no SecretString (a binary secret is not a password)", id)
	}
	return &out, nil
}

// stage runs UpdateSecretVersionStage.
func (m *Store) stage(ctx context.Context, id, stage, moveTo, removeFrom string) error {
	in := map[string]any{"SecretId": id, "VersionStage": stage}
	if moveTo != "" {
		in["MoveToVersionId"] = moveTo
	}
	if removeFrom != "" {
		in["RemoveFromVersionId"] = removeFrom
	}
	return m.call(ctx, "UpdateSecretVersionStage", in, nil)
}

// Describe implements credentials.Store.
func (m *Store) Describe() string { return "AWS Secrets Manager" }

// Get implements credentials.Store.
func (m *Store) Get(ctx context.Context, name, stage string) (credentials.Version, error) {
	out, err := m.getValue(ctx, name, "", stage)
	if err != nil {
		if notFound(err) {
			return credentials.Version{}, fmt.Errorf("%s %s (%s): %w", m.Describe(), name, stage, credentials.ErrNotFound)
		}
		return credentials.Version{}, fmt.Errorf("read secret %s: %w", name, err)
	}
	s, err := credentials.DecodeSecret(name, *out.SecretString)
	if err != nil {
		return credentials.Version{}, err
	}
	return credentials.Version{ID: out.VersionID, Secret: s}, nil
}

// Create implements credentials.Store.
func (m *Store) Create(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	raw, _ := json.Marshal(s)
	in := map[string]any{
		"Name":               name,
		"SecretString":       string(raw),
		"Description":        "PostgreSQL password of " + s.Username + ", managed by rolekeeper",
		"ClientRequestToken": awscall.IdempotencyToken(),
	}
	if m.KMSKeyID != "" {
		in["KmsKeyId"] = m.KMSKeyID
	}
	if len(m.Tags) > 0 {
		var tags []map[string]string
		for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
			tags = append(tags, map[string]string{"Key": k, "Value": m.Tags[k]})
		}
		in["Tags"] = tags
	}
	var out versionOut
	if err := m.call(ctx, "CreateSecret", in, &out); err != nil {
		return credentials.Version{}, fmt.Errorf("create secret %s: %w", name, err)
	}
	return credentials.Version{ID: out.VersionID, Secret: s}, nil
}

// PutPending implements credentials.Store.
func (m *Store) PutPending(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	raw, _ := json.Marshal(s)
	var out versionOut
	err := m.call(ctx, "PutSecretValue", map[string]any{"SecretId": name, "SecretString": string(raw),
		"VersionStages": []string{credentials.StagePending}, "ClientRequestToken": awscall.IdempotencyToken()}, &out)
	if err != nil {
		return credentials.Version{}, fmt.Errorf("store pending password in secret %s: %w", name, err)
	}
	return credentials.Version{ID: out.VersionID, Secret: s}, nil
}

// Promote implements credentials.Store.
func (m *Store) Promote(ctx context.Context, name, id string) error {
	from := ""
	if cur, err := m.Get(ctx, name, credentials.StageCurrent); err == nil && cur.ID != id {
		from = cur.ID
	}
	if err := m.stage(ctx, name, credentials.StageCurrent, id, from); err != nil {
		return fmt.Errorf("promote the new password of secret %s: %w", name, err)
	}
	// The new value is current: it is no longer pending.
	if err := m.stage(ctx, name, credentials.StagePending, "", id); err != nil {
		return fmt.Errorf("clear the pending stage of secret %s: %w", name, err)
	}
	return nil
}

// Store is a credentials.Store.
var _ credentials.Store = (*Store)(nil)

var _ credentials.NameRules = (*Store)(nil)

// maxNameLen is the longest secret name Secrets Manager takes.
const maxNameLen = 512

// CheckName applies Secrets Manager's rules for a secret's name (the
// CreateSecret API reference): 1 to 512 characters, each an ASCII letter,
// a digit or one of /_+=.@-.
func (m *Store) CheckName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("AWS Secrets Manager takes names of 1 to %d characters", maxNameLen)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r)
		if !ok {
			return fmt.Errorf("AWS Secrets Manager takes only ASCII letters, digits and /_+=.@- in a name, not %q", r)
		}
	}
	return nil
}

// Loader gives the AWS configuration, loaded when a source first needs it.
type Loader func(ctx context.Context) (aws.Config, error)

// AdminSecret is the admin password kept in a Secrets Manager secret, such
// as the RDS-managed master secret {"username","password"}. It is fetched
// again after an authentication failure, since RDS rotates it.
type AdminSecret struct {
	// ID is the secret's name or ARN.
	ID  string
	AWS Loader
}

var _ credentials.AdminSource = AdminSecret{}

// Fetch implements credentials.AdminSource.
func (a AdminSecret) Fetch(ctx context.Context, _ string, _ uint16, _ string) (credentials.Credential, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin secret %s: load the AWS configuration: %w", a.ID, err)
	}
	out, err := New(cfg).getValue(ctx, a.ID, "", "")
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin secret %s: %w%s", a.ID, err, hint(err))
	}
	return credentials.ParseCredential("secret "+a.ID, *out.SecretString)
}

// Refetchable implements credentials.AdminSource: RDS rotates its secret.
func (a AdminSecret) Refetchable() bool { return true }

// RequiresTLS implements credentials.AdminSource.
func (a AdminSecret) RequiresTLS() bool { return false }

// Describe implements credentials.AdminSource.
func (a AdminSecret) Describe() string { return "secret " + a.ID }

// DescribeSecret implements credentials.RotationStore.
func (m *Store) DescribeSecret(ctx context.Context, id string) (credentials.SecretInfo, error) {
	var out struct {
		Name, ARN          string
		RotationEnabled    bool
		VersionIdsToStages map[string][]string
	}
	if err := m.call(ctx, "DescribeSecret", map[string]any{"SecretId": id}, &out); err != nil {
		if notFound(err) {
			return credentials.SecretInfo{}, fmt.Errorf("%s %s: %w", m.Describe(), id, credentials.ErrNotFound)
		}
		return credentials.SecretInfo{}, fmt.Errorf("describe secret %s: %w", id, err)
	}
	return credentials.SecretInfo{Name: out.Name, ARN: out.ARN, RotationEnabled: out.RotationEnabled, Stages: out.VersionIdsToStages}, nil
}

// GetVersion implements credentials.RotationStore.
func (m *Store) GetVersion(ctx context.Context, id, versionID, stage string) (credentials.Version, error) {
	out, err := m.getValue(ctx, id, versionID, stage)
	if err != nil {
		if notFound(err) {
			return credentials.Version{}, fmt.Errorf("%s %s (version %s, %s): %w", m.Describe(), id, versionID, stage, credentials.ErrNotFound)
		}
		return credentials.Version{}, fmt.Errorf("read secret %s (version %s, %s): %w", id, versionID, stage, err)
	}
	s, err := credentials.DecodeSecret(id, *out.SecretString)
	if err != nil {
		return credentials.Version{}, err
	}
	return credentials.Version{ID: out.VersionID, Secret: s}, nil
}

// PutVersion implements credentials.RotationStore: PutSecretValue with
// the version id as ClientRequestToken, which Secrets Manager makes
// idempotent.
func (m *Store) PutVersion(ctx context.Context, id, versionID, stage string, s credentials.DBSecret) error {
	raw, _ := json.Marshal(s)
	err := m.call(ctx, "PutSecretValue", map[string]any{"SecretId": id, "ClientRequestToken": versionID,
		"SecretString": string(raw), "VersionStages": []string{stage}}, nil)
	if err != nil {
		return fmt.Errorf("store version %s of secret %s as %s: %w", versionID, id, stage, err)
	}
	return nil
}

// MakeCurrent implements credentials.RotationStore, as AWS's rotation
// function template finishes: UpdateSecretVersionStage moves AWSCURRENT
// (Secrets Manager gives the old version AWSPREVIOUS), then AWSPENDING is
// taken off the new version.
func (m *Store) MakeCurrent(ctx context.Context, id, versionID, from string) error {
	if err := m.stage(ctx, id, credentials.StageCurrent, versionID, from); err != nil {
		return fmt.Errorf("make version %s of secret %s current: %w", versionID, id, err)
	}
	if err := m.stage(ctx, id, credentials.StagePending, "", versionID); err != nil {
		return fmt.Errorf("clear the pending stage of version %s of secret %s: %w", versionID, id, err)
	}
	return nil
}

// Store takes part in rotations.
var _ credentials.RotationStore = (*Store)(nil)

// hint says what to do for the errors a user can fix.
func hint(err error) string {
	switch {
	case notFound(err):
		return " (check the secret's name or ARN and the region)"
	case awscall.IsCode(err, "AccessDeniedException"):
		return " (the caller needs secretsmanager:GetSecretValue on the secret, and kms:Decrypt on its key)"
	}
	return ""
}
