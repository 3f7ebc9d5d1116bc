package state

import (
	"strings"
	"testing"
)

func TestPrivSetHoldsEveryKnownPrivilege(t *testing.T) {
	lists := [][]string{DatabasePrivileges, SchemaPrivileges, {"SET", "ALTER SYSTEM"}}
	for _, k := range GlobalDefaultKinds {
		lists = append(lists, GlobalDefaultPrivileges[k])
	}
	seen := PrivSet(0)
	for _, list := range lists {
		for _, p := range list {
			b := PrivOf(p)
			if b.Name() != p || !b.Has(p) || strings.Join(b.Names(), ",") != p {
				t.Errorf("%s: bit %b names %q, %v", p, b, b.Name(), b.Names())
			}
			seen |= b
		}
	}
	if got, want := len(seen.Names()), len(PrivLetters); got != want {
		t.Errorf("the lists name %d privileges, PrivSet has %d bits: %v", got, want, seen.Names())
	}
}

func TestPrivSetMinusKeepsTheOrderGiven(t *testing.T) {
	s := PrivsOf("TRUNCATE", "SELECT", "INSERT", "MAINTAIN")
	got := s.Minus(PrivsOf("INSERT", "USAGE"), KindPrivileges[Tables])
	if strings.Join(got, ",") != "SELECT,TRUNCATE,MAINTAIN" {
		t.Errorf("Minus = %v", got)
	}
	if got := s.Minus(s, KindPrivileges[Tables]); got != nil {
		t.Errorf("s minus itself = %v", got)
	}
	g := Grants{}
	g.Add("a")
	g.AddSet("b", 0)
	g.Add("c", "SELECT")
	g.Add("c", "UPDATE", "SELECT")
	if len(g) != 1 || g["c"] != PrivsOf("SELECT", "UPDATE") {
		t.Errorf("Grants = %v", g)
	}
}

func TestPrivOfRefusesUnknownNames(t *testing.T) {
	if PrivsOf("SELECT").Has("select") || PrivSet(1<<len(PrivLetters)-1).Has("SUPERPOWER") {
		t.Error("Has holds an unknown name")
	}
	defer func() {
		if recover() == nil {
			t.Error("PrivOf(\"select\") did not panic")
		}
	}()
	PrivOf("select")
}
