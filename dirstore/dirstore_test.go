package dirstore_test

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/dirstore"
)

func TestDirStoreKeepsStagesAndRefusesPathTricks(t *testing.T) {
	dir := t.TempDir()
	store := dirstore.Store{Dir: dir}
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
