// Package credentials holds rolekeeper's pure credential logic: generated
// passwords, the SCRAM-SHA-256 verifiers that are all the server ever
// receives of them, the RDS secret shape, and the two interfaces the
// outside systems implement: Store (user secrets: packages secretsmanager
// and dirstore) and AdminSource (the admin password: secretsmanager, ssm,
// rdsauth). It imports no AWS package.
package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNotFound is returned by a Store for a secret or version that does not exist.
var ErrNotFound = errors.New("secret not found")

// Version stages, as Secrets Manager names them.
const (
	StageCurrent = "AWSCURRENT"
	StagePending = "AWSPENDING"
)

// DBSecret is a database user's secret in the shape RDS itself uses for
// its managed secrets, so tools that read RDS secrets read these too.
type DBSecret struct {
	Engine   string `json:"engine"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	DBName   string `json:"dbname"`
}

// String never shows the password.
func (s DBSecret) String() string {
	return fmt.Sprintf("{%s user %s on %s:%d/%s, password redacted}", s.Engine, s.Username, s.Host, s.Port, s.DBName)
}

// GoString never shows the password either (%#v).
func (s DBSecret) GoString() string { return s.String() }

// Version is one stored value of a secret.
type Version struct {
	ID     string
	Secret DBSecret
}

// Store keeps user secrets. Values are staged as Secrets Manager stages
// them: CURRENT is what clients use; PENDING is a new value not yet
// promoted (a rotation in progress).
type Store interface {
	// Get returns the version of a secret at a stage; ErrNotFound when
	// the secret or the stage does not exist.
	Get(ctx context.Context, name, stage string) (Version, error)
	// Create makes a new secret whose CURRENT value is s. It fails if
	// the secret exists.
	Create(ctx context.Context, name string, s DBSecret) (Version, error)
	// PutPending stores s as the PENDING version.
	PutPending(ctx context.Context, name string, s DBSecret) (Version, error)
	// Promote makes the version id CURRENT.
	Promote(ctx context.Context, name, id string) error
	// Describe names the store and where it keeps secrets, for messages.
	Describe() string
}

// NameRules is implemented by a Store whose secret names follow rules of
// their own (AWS Secrets Manager's characters and length), so that a name
// it would refuse is a plan problem rather than an apply that fails.
type NameRules interface {
	// CheckName says why name cannot name a secret in the store, or nil.
	CheckName(name string) error
}

// DecodeSecret reads a secret value in the RDS shape; its errors never quote
// the value.
func DecodeSecret(name, raw string) (DBSecret, error) {
	var s DBSecret
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		// The JSON error may quote the value: never pass it on.
		return DBSecret{}, fmt.Errorf("secret %s is not a JSON object with username and password", name)
	}
	if s.Password == "" {
		return DBSecret{}, fmt.Errorf("secret %s has no password field", name)
	}
	return s, nil
}

// StagePrevious is the stage Secrets Manager gives the version that was
// CURRENT before the last promotion.
const StagePrevious = "AWSPREVIOUS"

// SecretInfo is what a rotation needs to know of a secret: its names, and
// which version has which stages (DescribeSecret's VersionIdsToStages).
type SecretInfo struct {
	Name            string
	ARN             string
	RotationEnabled bool
	// Stages maps each version id to its stages.
	Stages map[string][]string
}

// VersionAt returns the id of the version holding stage, "" when none does.
func (i SecretInfo) VersionAt(stage string) string {
	for id, stages := range i.Stages {
		for _, s := range stages {
			if s == stage {
				return id
			}
		}
	}
	return ""
}

// HasStage reports whether version id holds stage.
func (i SecretInfo) HasStage(id, stage string) bool {
	for _, s := range i.Stages[id] {
		if s == stage {
			return true
		}
	}
	return false
}

// RotationStore is a store that can take part in Secrets Manager's
// four-step rotation protocol, where every new version is keyed by the
// rotation's ClientRequestToken (its version id), so that each step can
// be retried without doing anything twice.
type RotationStore interface {
	// DescribeSecret returns the secret's names and its versions' stages.
	DescribeSecret(ctx context.Context, id string) (SecretInfo, error)
	// GetVersion returns version versionID at stage; ErrNotFound when that
	// version does not exist, holds no value yet, or lacks the stage.
	GetVersion(ctx context.Context, id, versionID, stage string) (Version, error)
	// PutVersion stores s as version versionID with stage. Putting the
	// same value under the same id again changes nothing.
	PutVersion(ctx context.Context, id, versionID, stage string, s DBSecret) error
	// MakeCurrent moves CURRENT to version versionID from version from
	// (which becomes PREVIOUS), then takes PENDING off versionID.
	MakeCurrent(ctx context.Context, id, versionID, from string) error
}
