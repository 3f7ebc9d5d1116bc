package ops

import (
	"context"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// SavePlan computes the plan and the saved plan that `apply FILE` (or the
// Lambda's apply with "plan") applies exactly (docs/saved-plans.md).
// version names the rolekeeper writing it.
//
// It refuses the admin's secret and reports the passwords' problems as
// Plan does, so a saved plan shows what `apply FILE` would refuse.
func (s Session) SavePlan(ctx context.Context, sp *spec.Spec, version string) (*plan.Saved, *plan.Plan, error) {
	if sp.MultiDatabase() {
		return nil, nil, ErrSavedPlanMulti
	}
	want := sp.Desired(s.Database())
	if err := apply.RefuseAdminSecret(s.Secrets(), want); err != nil {
		return nil, nil, err
	}
	saved, p, err := apply.SavePlan(ctx, s.Conn, sp, version)
	if err != nil {
		return nil, nil, err
	}
	p.Problems = append(p.Problems, apply.PasswordProblems(ctx, s.Secrets(), want, p)...)
	saved.Plan = p.Document()
	return saved, p, nil
}

// ApplySaved applies a saved plan as reviewed, or refuses with an
// apply.StaleError when the database or the spec moved. current is the
// spec the caller has now (nil: the plan's own). opts carries the
// caller's timeouts and progress hook.
func (s Session) ApplySaved(ctx context.Context, saved *plan.Saved, current *spec.Spec, opts apply.Options) (*apply.Result, error) {
	if current != nil && current.MultiDatabase() {
		return nil, ErrSavedPlanMulti
	}
	opts.Secrets = s.Secrets()
	return apply.ApplySaved(ctx, s.Conn, saved, current, opts)
}
