package plan

import (
	"fmt"
	"io"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/state"
)

// lSize builds scenario L in memory: 1,000 login roles, each readonly on 20
// schemas of 50 tables owned by one role. want is the desired state; the
// snapshot is the database before the first apply (roles missing) or after
// it (everything in place), so the diff is measured both ways.
func lSize(applied bool) (*state.Database, *catalog.Snapshot) {
	const roles, schemas, tables = 1000, 20, 50
	want := state.NewDatabase("app")
	snap := snapshot(16)
	snap.Server.AdminOf["owner"] = true
	addRole(snap, "owner", false)
	want.Roles["owner"] = &state.Role{Name: "owner", Inherit: true, ConnectionLimit: -1, Settings: map[string][]string{}, MemberOf: map[string]state.Membership{}}
	for s := 1; s <= schemas; s++ {
		name := fmt.Sprintf("s%02d", s)
		ws := state.NewSchema(name, "owner")
		hs := state.NewSchema(name, "owner")
		hs.Objects[state.Tables].Total = tables
		hs.Objects[state.Tables].OwnedBy = map[string]int{"owner": tables}
		want.Schemas[name] = ws
		snap.DB.Schemas[name] = hs
	}
	for r := 1; r <= roles; r++ {
		name := fmt.Sprintf("u%04d", r)
		want.Roles[name] = &state.Role{Name: name, Login: true, Inherit: true, ConnectionLimit: -1, Settings: map[string][]string{}, MemberOf: map[string]state.Membership{}, Auth: state.AuthNone}
		want.Privileges.Add(name, "CONNECT")
		if applied {
			addRole(snap, name, true)
			snap.Server.AdminOf[name] = true
			snap.DB.Privileges.Add(name, "CONNECT")
		}
		for s := 1; s <= schemas; s++ {
			sn := fmt.Sprintf("s%02d", s)
			ws, hs := want.Schemas[sn], snap.DB.Schemas[sn]
			ws.Privileges.Add(name, "USAGE")
			ws.Objects[state.Tables].Full.Add(name, "SELECT")
			ws.DefaultGrants("owner", state.Tables).Add(name, "SELECT")
			ws.DefaultGrants("owner", state.Sequences).Add(name, "SELECT")
			if applied {
				hs.Privileges.Add(name, "USAGE")
				hs.Objects[state.Tables].Full.Add(name, "SELECT")
				hs.DefaultGrants("owner", state.Tables).Add(name, "SELECT")
				hs.DefaultGrants("owner", state.Sequences).Add(name, "SELECT")
			}
		}
	}
	return want, snap
}

func BenchmarkDiffLFirstApply(b *testing.B) {
	want, snap := lSize(false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := Diff(want, snap, Options{}); len(p.Changes) < 1000 {
			b.Fatalf("%d changes", len(p.Changes))
		}
	}
}

func BenchmarkDiffLNoOp(b *testing.B) {
	want, snap := lSize(true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := Diff(want, snap, Options{}); !p.Empty() {
			b.Fatalf("no-op diff has %d changes: %s", len(p.Changes), p.Changes[0].Summary)
		}
	}
}

func BenchmarkRenderTextL(b *testing.B) {
	want, snap := lSize(false)
	p := Diff(want, snap, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.WriteText(io.Discard, "Plan"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderJSONL(b *testing.B) {
	want, snap := lSize(false)
	p := Diff(want, snap, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
