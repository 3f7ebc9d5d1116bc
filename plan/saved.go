package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// SavedFormat names the saved-plan file format; SavedFormatVersion is its
// version, raised only when a field changes meaning or goes away.
const (
	SavedFormat        = "rolekeeper-plan"
	SavedFormatVersion = 1
)

// Saved is a plan written by `plan -out FILE`, to be applied as is by
// `apply FILE` (docs/saved-plans.md). It holds no secret: password changes
// carry the name of their secret only, and apply reads the secret when it
// runs.
type Saved struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	// RolekeeperVersion is the version that wrote the file.
	RolekeeperVersion string `json:"rolekeeper_version"`
	// SpecSHA256 is the hash of the spec in its canonical form, so a spec
	// written as YAML or as JSON (Terraform's jsonencode) hashes the same.
	SpecSHA256 string `json:"spec_sha256"`
	// Spec is the spec in its canonical YAML form: apply needs no other file.
	Spec string `json:"spec"`
	// Fingerprint summarizes the catalog state the plan was computed from.
	Fingerprint Fingerprint `json:"fingerprint"`
	// Plan is the plan, as `plan --format json` prints it.
	Plan Document `json:"plan"`
}

// Fingerprint hashes, area by area, the part of the catalog a plan depends
// on: the declared roles and those the spec or the plan refers to, the
// database's privileges and managed settings, the managed schemas with
// their objects and privileges, the managed extensions and the connected
// user's rights. Roles, databases and schemas the spec does not manage are
// left out, so changes to them do not make a saved plan stale.
type Fingerprint struct {
	// SHA256 hashes every area.
	SHA256 string `json:"sha256"`
	// Areas maps an area ("role \"app\"", "schema \"app\"") to its hash.
	Areas map[string]string `json:"areas"`
}

// Moved returns the areas whose hash differs between f and now, sorted:
// what changed in the database since f was taken.
func (f Fingerprint) Moved(now Fingerprint) []string {
	var out []string
	for area, h := range f.Areas {
		if now.Areas[area] != h {
			if now.Areas[area] == "" {
				out = append(out, area+" (gone)")
			} else {
				out = append(out, area)
			}
		}
	}
	for area := range now.Areas {
		if _, ok := f.Areas[area]; !ok {
			out = append(out, area+" (new)")
		}
	}
	sort.Strings(out)
	return out
}

// roleFacts is what the fingerprint keeps of a role the spec refers to
// without declaring it: whether it exists and is a superuser.
type roleFacts struct {
	Exists    bool `json:"exists"`
	Superuser bool `json:"superuser"`
}

// userRights is what the connected user may do with one role.
type userRights struct {
	Uses, Admin, Set bool
}

// TakeFingerprint computes the fingerprint of the part of snap that the
// plan for want depends on.
func TakeFingerprint(want *state.Database, snap *state.Snapshot) Fingerprint {
	areas := map[string]any{}
	db := snap.DB
	grantees := map[string]bool{state.Public: true}
	for name := range want.Roles {
		grantees[name] = true
	}
	// Roles the spec or the current state refer to: their existence and
	// superuser bit decide what the plan may do.
	referenced := map[string]bool{snap.Server.User: true, snap.Server.DatabaseOwner: true}
	for _, r := range want.Roles {
		for m := range r.MemberOf {
			referenced[m] = true
		}
		if r.ReassignTo != "" {
			referenced[r.ReassignTo] = true
		}
	}
	for _, sc := range want.Schemas {
		if sc.Owner != "" {
			referenced[sc.Owner] = true
		}
		for creator := range sc.Defaults {
			referenced[creator] = true
		}
	}
	schemas := map[string]any{}
	for name, sc := range db.Schemas {
		referenced[sc.Owner] = true
		objects := map[state.ObjectKind]any{}
		for kind, og := range sc.Objects {
			if og == nil {
				continue
			}
			for owner := range og.OwnedBy {
				referenced[owner] = true
			}
			objects[kind] = og
		}
		defaults := map[string]map[state.ObjectKind]state.Grants{}
		for creator, kinds := range sc.Defaults {
			for kind, g := range kinds {
				if f := filterGrants(g, grantees); len(f) > 0 || grantees[creator] {
					if defaults[creator] == nil {
						defaults[creator] = map[state.ObjectKind]state.Grants{}
					}
					defaults[creator][kind] = f
				}
			}
		}
		area := map[string]any{"owner": sc.Owner, "privileges": filterGrants(sc.Privileges, grantees), "objects": objects, "defaults": defaults}
		// Column privileges and the privileges of a role named "PUBLIC"
		// (which the plan reads apart from PUBLIC's) are in the area only
		// when there are some, so that the areas of plans saved before
		// they were are unchanged.
		if len(sc.Columns) > 0 {
			area["columns"] = sc.Columns
		}
		if sc.RolePUBLIC != 0 {
			area["role_public"] = sc.RolePUBLIC
		}
		if len(sc.RolePUBLICOptions) > 0 {
			area["role_public_options"] = sc.RolePUBLICOptions
		}
		schemas[name] = area
	}
	for name := range want.Schemas {
		if _, ok := schemas[name]; !ok {
			schemas[name] = nil // absent: creating it later moves the area
		}
	}
	for name, v := range schemas {
		areas[fmt.Sprintf("schema %q", name)] = v
	}
	rights := map[string]userRights{}
	for name := range want.Roles {
		referenced[name] = true
	}
	for name := range referenced {
		if name == "" {
			continue
		}
		rights[name] = userRights{snap.Server.Uses[name], snap.Server.AdminOf[name], snap.Server.CanSet[name]}
		if _, declared := want.Roles[name]; declared {
			areas[fmt.Sprintf("role %q", name)] = snap.Roles[name]
			continue
		}
		r := snap.Roles[name]
		areas[fmt.Sprintf("role %q", name)] = roleFacts{Exists: r != nil, Superuser: r != nil && r.Superuser}
	}
	srv := snap.Server
	installable := map[string]bool{}
	for name := range want.Extensions {
		installable[name] = srv.Installable[name]
		areas[fmt.Sprintf("extension %q", name)] = db.Extensions[name]
	}
	areas[fmt.Sprintf("connected user %q", srv.User)] = map[string]any{
		"major": srv.Major(), "superuser": srv.Superuser, "createrole": srv.CreateRole, "createdb": srv.CreateDB,
		"create_in_db": srv.CreateInDB, "acts_as_db_owner": srv.ActsAsDBOwner, "rights": rights, "installable": installable,
	}
	settings := map[string][]string{}
	for k := range want.Settings {
		settings[k] = db.Settings[k]
	}
	areas[fmt.Sprintf("database %q", db.Name)] = map[string]any{"owner": db.Owner, "privileges": filterGrants(db.Privileges, grantees), "settings": settings}

	f := Fingerprint{Areas: map[string]string{}}
	all := sha256.New()
	for _, area := range state.SortedKeys(areas) {
		b, err := json.Marshal(areas[area])
		if err != nil {
			panic(fmt.Sprintf("fingerprint %s: %v", area, err)) // plain data: cannot happen
		}
		sum := sha256.Sum256(b)
		f.Areas[area] = hex.EncodeToString(sum[:])
		fmt.Fprintf(all, "%s\x00%s\x00", area, f.Areas[area])
	}
	f.SHA256 = hex.EncodeToString(all.Sum(nil))
	return f
}

func filterGrants(g state.Grants, keep map[string]bool) state.Grants {
	out := state.Grants{}
	for grantee, privs := range g {
		if keep[grantee] {
			out[grantee] = privs
		}
	}
	return out
}

// SpecHash returns the hex SHA-256 of a spec's canonical form.
func SpecHash(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// WriteSaved writes a saved plan as indented JSON.
func WriteSaved(w io.Writer, s *Saved) error { return writeJSON(w, s) }

// ReadSaved reads a saved plan and checks its format and version.
func ReadSaved(r io.Reader, name string) (*Saved, error) {
	var s Saved
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("read saved plan %s: not a rolekeeper plan file (%v); write one with `rolekeeper plan -out FILE`", name, err)
	}
	return &s, s.Check(name)
}

// Check reports whether s is a saved plan this version can apply.
func (s *Saved) Check(name string) error {
	if s.Format != SavedFormat {
		return fmt.Errorf("read saved plan %s: not a rolekeeper plan file (format %q, want %q); write one with `rolekeeper plan -out FILE`", name, s.Format, SavedFormat)
	}
	if s.FormatVersion != SavedFormatVersion {
		return fmt.Errorf("read saved plan %s: format version %d, this rolekeeper reads version %d; plan again with this version", name, s.FormatVersion, SavedFormatVersion)
	}
	if s.Fingerprint.SHA256 == "" || s.SpecSHA256 == "" || s.Spec == "" {
		return fmt.Errorf("read saved plan %s: it lacks its spec or fingerprint; plan again with `rolekeeper plan -out FILE`", name)
	}
	return nil
}

// SameChanges compares the changes of a saved plan with a plan computed
// now, and describes the differences ("+" only now, "-" only saved).
func SameChanges(saved, now []Change) []string {
	key := func(c Change) string {
		return string(c.Action) + "\x00" + string(c.Object) + "\x00" + c.Name + "\x00" + c.Summary + "\x00" + c.Secret + "\x00" + strings.Join(c.SQL, "\x00")
	}
	count := map[string]int{}
	for _, c := range saved {
		count[key(c)]++
	}
	var diffs []string
	for _, c := range now {
		if count[key(c)] > 0 {
			count[key(c)]--
			continue
		}
		diffs = append(diffs, "now also: "+c.Summary)
	}
	for _, c := range saved {
		if count[key(c)] > 0 {
			count[key(c)]--
			diffs = append(diffs, "no longer: "+c.Summary)
		}
	}
	if len(diffs) == 0 && len(saved) == len(now) {
		for i := range saved {
			if key(saved[i]) != key(now[i]) {
				return []string{"the same changes in a different order"}
			}
		}
	}
	return diffs
}
