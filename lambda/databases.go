package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// multiResult is the CLI's multi-database plan/apply document and the
// spec's source.
type multiResult struct {
	plan.MultiDocument
	Source
}

// databasesCheck is check's response for a spec with several databases:
// each database's report, and the totals under the names the
// one-database response uses (so that a caller reads "failed" either way).
type databasesCheck struct {
	Databases []ops.DatabaseReport `json:"databases"`
	Passed    int                  `json:"passed"`
	Failed    int                  `json:"failed"`
	Skipped   int                  `json:"skipped"`
	Source
}

// databases serves plan, apply and check for a spec with several
// databases. An apply that stops at a database is a function error whose
// message says each database's outcome (those before it stay committed);
// a successful one returns every database's outcome.
func (h *Handler) databases(ctx context.Context, log *slog.Logger, sess ops.Session, s *spec.Spec, src string, ev Event) (any, error) {
	switch ev.Action {
	case "plan":
		if ev.SavePlan {
			return nil, ops.ErrSavedPlanMulti
		}
		m, err := sess.PlanDatabases(ctx, s)
		if err != nil {
			return nil, err
		}
		return multiResult{m.Document(), Source{src}}, nil
	case "apply":
		start := time.Now()
		m, err := sess.ApplyDatabases(ctx, s, applyOptions(ctx, log))
		if m != nil && m.Applied {
			for _, d := range m.Databases {
				level := slog.LevelInfo
				if d.Outcome == plan.OutcomeFailed {
					level = slog.LevelError
				}
				log.Log(ctx, level, "database", "database", d.Database, "outcome", string(d.Outcome), "statements", d.Statements, "error", d.Error)
			}
		}
		if err != nil {
			var failed *ops.MultiApplyError
			if errors.As(err, &failed) {
				return nil, fmt.Errorf("apply stopped at database %q: %v. %s", failed.Database, failed.Err, failed.Verdict)
			}
			return nil, err
		}
		log.Info("apply done", "databases", len(m.Databases), "ms", time.Since(start).Milliseconds())
		return multiResult{m.Document(), Source{src}}, nil
	case "check":
		reports, err := sess.CheckDatabases(ctx, s)
		if err != nil {
			return nil, err
		}
		var failed []string
		for _, r := range reports {
			for _, f := range logChecks(ctx, log.With("database", r.Database), r.Checks) {
				failed = append(failed, fmt.Sprintf("database %q: %s", r.Database, f))
			}
		}
		if len(failed) > 0 {
			return nil, fmt.Errorf("%d check(s) failed: %s", len(failed), strings.Join(failed, "; "))
		}
		out := databasesCheck{Databases: reports, Source: Source{src}}
		for _, r := range reports {
			out.Passed += r.Passed
			out.Failed += r.Failed
			out.Skipped += r.Skipped
		}
		return out, nil
	}
	return nil, fmt.Errorf("action %q does not take a spec with databases", ev.Action)
}
