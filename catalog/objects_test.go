package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

// TestObjectReaderMergesReorderedACLs: tables whose ACLs list the same
// entries in another order (a repair appends its grantees) are one group;
// a table that lacks an entry is partial drift, named per object.
func TestObjectReaderMergesReorderedACLs(t *testing.T) {
	r := newObjectReader(granteeFilter(nil))
	rows := []struct {
		acl   string
		names []string
	}{
		{`{o=arwdDxt/o,a=r/o,b=r/o,c=rw/o}`, []string{"t1", "t2"}},
		{`{o=arwdDxt/o,b=r/o,c=rw/o,a=r/o}`, []string{"t3"}}, // reordered: same set
		{`{c=rw/o,a=r/o,o=arwdDxt/o,b=r/o}`, []string{"t4"}}, // the owner elsewhere: same set
		{`{o=arwdDxt/o,a=r/o,c=rw/o}`, []string{"t5"}},       // b lost SELECT
		{`{o=arwdDxt/o,a=r/o,b=w/o,c=rw/o}`, []string{"t6"}}, // b: UPDATE, not SELECT
	}
	for _, row := range rows {
		if err := r.add("s", state.Tables, "o", row.acl, len(row.names), row.names); err != nil {
			t.Fatal(err)
		}
	}
	groups := r.groups[kindKey{"s", state.Tables}]
	if len(groups) != 3 || groups[0].count != 4 || strings.Join(groups[0].names, ",") != "t1,t2,t3,t4" {
		for _, g := range groups {
			t.Logf("group %v: %d", g.names, g.count)
		}
		t.Fatalf("%d groups, want 3 (t1-t4, t5, t6)", len(groups))
	}
	og := &state.ObjectGrants{Full: state.Grants{}}
	r.fill(og, groups, true)
	if og.Total != 6 || og.Full["a"] != state.PrivsOf("SELECT") || og.Full["c"] != state.PrivsOf("SELECT", "UPDATE") || og.Full["b"] != 0 {
		t.Fatalf("total %d, full %v", og.Total, og.Full)
	}
	sel, upd := og.Partial["b"]["SELECT"], og.Partial["b"]["UPDATE"]
	if sel == nil || sel.HasListed || !reflect.DeepEqual(sel.Objects, []string{"t5", "t6"}) {
		t.Errorf("b SELECT partial: %+v", sel)
	}
	if upd == nil || !upd.HasListed || !reflect.DeepEqual(upd.Objects, []string{"t6"}) {
		t.Errorf("b UPDATE partial: %+v", upd)
	}
	for i, p := range r.privs {
		if p != 0 || r.counts[i] != [privBitCount]int{} {
			t.Fatalf("scratch of %s left %v %v", r.names[i], p, r.counts[i])
		}
	}
}
