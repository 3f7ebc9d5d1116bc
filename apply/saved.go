package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// SavePlan inspects the database and returns the plan for s together with
// the spec's hash and the fingerprint of the catalog state it was computed
// from, ready to be written by plan.WriteSaved and applied by ApplySaved.
// version names the rolekeeper that wrote it.
func SavePlan(ctx context.Context, conn *pgx.Conn, s *spec.Spec, version string) (*plan.Saved, *plan.Plan, error) {
	canonical, err := s.Canonical()
	if err != nil {
		return nil, nil, err
	}
	want := s.Desired(conn.Config().Database)
	snap, err := inspect(ctx, conn, want)
	if err != nil {
		return nil, nil, err
	}
	p, err := diff(ctx, conn, want, snap, plan.Options{Additive: s.Additive()})
	if err != nil {
		return nil, nil, err
	}
	return &plan.Saved{
		Format:            plan.SavedFormat,
		FormatVersion:     plan.SavedFormatVersion,
		RolekeeperVersion: version,
		SpecSHA256:        plan.SpecHash(canonical),
		Spec:              string(canonical),
		Fingerprint:       plan.TakeFingerprint(want, snap),
		Plan:              p.Document(),
	}, p, nil
}

// SavedSpec returns the spec a saved plan was made from. When current is
// not nil (the spec the user gives now), it must be the same spec.
func SavedSpec(saved *plan.Saved, current *spec.Spec) (*spec.Spec, error) {
	s, err := spec.Parse("saved plan spec", []byte(saved.Spec))
	if err != nil {
		return nil, fmt.Errorf("saved plan: its spec does not parse (was the file edited?): %w", err)
	}
	canonical, err := s.Canonical()
	if err != nil {
		return nil, err
	}
	if h := plan.SpecHash(canonical); h != saved.SpecSHA256 {
		return nil, fmt.Errorf("saved plan: its spec does not match its spec_sha256 (the file was edited); plan again")
	}
	if current != nil {
		c, err := current.Canonical()
		if err != nil {
			return nil, err
		}
		if h := plan.SpecHash(c); h != saved.SpecSHA256 {
			return nil, &StaleError{SpecChanged: true}
		}
	}
	return s, nil
}

// StaleError is returned when a saved plan no longer fits the database or
// the spec: nothing was changed.
type StaleError struct {
	// SpecChanged: the spec given now differs from the plan's.
	SpecChanged bool
	// Moved lists the fingerprint areas that changed ("role \"app\"").
	Moved []string
	// Differs lists how the plan computed now differs from the saved one.
	Differs []string
}

func (e *StaleError) Error() string {
	var b strings.Builder
	b.WriteString("the saved plan is stale, nothing was changed: ")
	switch {
	case e.SpecChanged:
		b.WriteString("the spec changed since the plan was made")
	case len(e.Moved) > 0:
		b.WriteString("the database changed since the plan was made, in:\n  - " + strings.Join(e.Moved, "\n  - "))
	default:
		b.WriteString("the plan computed now differs from the saved one:\n  - " + strings.Join(e.Differs, "\n  - "))
	}
	if len(e.Moved) > 0 && len(e.Differs) > 0 {
		b.WriteString("\nso the plan would now be different:\n  - " + strings.Join(e.Differs, "\n  - "))
	}
	b.WriteString("\nrun `rolekeeper plan -out FILE` again and review the new plan")
	return b.String()
}

// ApplySaved applies a saved plan exactly as it was reviewed. Under the
// rolekeeper lock it inspects the database again and refuses, with a
// StaleError naming what moved, when the fingerprint of what the plan
// depends on changed, or when the plan computed now differs from the
// saved one. current, when not nil, is the spec given now: it must be the
// plan's. opts.Plan is taken from the saved plan.
func ApplySaved(ctx context.Context, conn *pgx.Conn, saved *plan.Saved, current *spec.Spec, opts Options) (*Result, error) {
	if err := saved.Check("saved plan"); err != nil {
		return nil, err
	}
	s, err := SavedSpec(saved, current)
	if err != nil {
		return nil, err
	}
	want := s.Desired(conn.Config().Database)
	if want.Name != saved.Plan.Database {
		return nil, fmt.Errorf("saved plan: it is for database %q, connected to %q; connect to the plan's database", saved.Plan.Database, want.Name)
	}
	opts.Plan = plan.Options{Additive: s.Additive()}
	opts.accept = func(snap *catalog.Snapshot, p *plan.Plan) (*plan.Plan, error) {
		moved := saved.Fingerprint.Moved(plan.TakeFingerprint(want, snap))
		differs := plan.SameChanges(saved.Plan.Changes, p.Changes)
		if len(moved) > 0 || len(differs) > 0 {
			return p, &StaleError{Moved: moved, Differs: differs}
		}
		p.Changes = saved.Plan.Changes // the reviewed changes, identical to p's
		return p, nil
	}
	return Apply(ctx, conn, want, opts)
}
