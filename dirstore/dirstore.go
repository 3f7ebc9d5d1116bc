// Package dirstore keeps user secrets as files in a local directory, for
// databases without AWS Secrets Manager (the sandbox, a laptop). It
// implements credentials.Store with the same stages Secrets Manager uses.
package dirstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// Store keeps secrets as files in a directory (mode 0600), for local
// databases and the sandbox where there is no Secrets Manager. A secret
// named "app/reporting" is the folder app%2Freporting holding
// CURRENT.json and, during a rotation, PENDING.json.
type Store struct{ Dir string }

// Describe implements Store.
func (d Store) Describe() string { return "the directory " + d.Dir }

func (d Store) path(name, stage string) string {
	return filepath.Join(d.Dir, strings.ReplaceAll(filepathEscape(name), "/", "%2F"), stage+".json")
}

func filepathEscape(s string) string {
	return strings.NewReplacer("%", "%25", "\\", "%5C", "..", "%2E%2E").Replace(s)
}

type dirVersion struct {
	ID     string               `json:"id"`
	Secret credentials.DBSecret `json:"secret"`
}

// Get implements Store.
func (d Store) Get(ctx context.Context, name, stage string) (credentials.Version, error) {
	b, err := os.ReadFile(d.path(name, stage))
	if errors.Is(err, os.ErrNotExist) {
		return credentials.Version{}, fmt.Errorf("%s: secret %s (%s): %w", d.Describe(), name, stage, credentials.ErrNotFound)
	}
	if err != nil {
		return credentials.Version{}, fmt.Errorf("read secret %s: %w", name, err)
	}
	var v dirVersion
	if err := json.Unmarshal(b, &v); err != nil {
		return credentials.Version{}, fmt.Errorf("secret %s in %s is damaged", name, d.Dir)
	}
	return credentials.Version(v), nil
}

func (d Store) write(name, stage string, s credentials.DBSecret) (credentials.Version, error) {
	id := make([]byte, 8)
	rand.Read(id)
	v := dirVersion{ID: hex.EncodeToString(id), Secret: s}
	b, _ := json.Marshal(v)
	p := d.path(name, stage)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return credentials.Version{}, fmt.Errorf("store secret %s: %w", name, err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return credentials.Version{}, fmt.Errorf("store secret %s: %w", name, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return credentials.Version{}, fmt.Errorf("store secret %s: %w", name, err)
	}
	return credentials.Version{ID: v.ID, Secret: s}, nil
}

// Create implements Store.
func (d Store) Create(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	if _, err := os.Stat(d.path(name, credentials.StageCurrent)); err == nil {
		return credentials.Version{}, fmt.Errorf("create secret %s: it exists already", name)
	}
	return d.write(name, credentials.StageCurrent, s)
}

// PutPending implements Store.
func (d Store) PutPending(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	return d.write(name, credentials.StagePending, s)
}

// Promote implements Store.
func (d Store) Promote(ctx context.Context, name, id string) error {
	p, err := d.Get(ctx, name, credentials.StagePending)
	if err != nil {
		return err
	}
	if p.ID != id {
		return fmt.Errorf("promote secret %s: version %s is not pending", name, id)
	}
	return os.Rename(d.path(name, credentials.StagePending), d.path(name, credentials.StageCurrent))
}

// Store is a credentials.Store.
var _ credentials.Store = Store{}
