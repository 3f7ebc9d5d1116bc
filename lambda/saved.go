package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// savedPlanResult is the plan document, the spec's source and the saved
// plan to pass back as the apply event's "plan".
type savedPlanResult struct {
	plan.Document
	Source
	SavedPlan *plan.Saved `json:"saved_plan"`
}

func (h *Handler) savePlan(ctx context.Context, sess ops.Session, s *spec.Spec, src string) (any, error) {
	saved, p, err := sess.SavePlan(ctx, s, "lambda")
	if err != nil {
		return nil, err
	}
	return savedPlanResult{p.Document(), Source{src}, saved}, nil
}

// applySaved applies the event's saved plan. The spec the function has
// (the event's config, ROLEKEEPER_SPEC or the packaged file), when there
// is one, must be the plan's.
func (h *Handler) applySaved(ctx context.Context, log *slog.Logger, ev Event) (any, error) {
	if ev.Action != "apply" {
		return nil, fmt.Errorf("the event's plan is applied by action apply, not %q", ev.Action)
	}
	var saved plan.Saved
	if err := json.Unmarshal(ev.Plan, &saved); err != nil {
		return nil, fmt.Errorf("the event's plan is not a saved plan (the saved_plan of a plan with save_plan: true): %v", err)
	}
	if err := saved.Check("event.plan"); err != nil {
		return nil, err
	}
	current, src, err := h.loadSpec(ev.Config)
	if err != nil && src == "" {
		current, src = nil, "plan" // no spec here: the plan's own
	} else if err != nil {
		return nil, err
	}
	conn, err := h.connect(ctx, log, saved.Plan.Database, false)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	sess, err := h.session(ctx, conn)
	if err != nil {
		return nil, err
	}
	res, err := sess.ApplySaved(ctx, &saved, current, applyOptions(ctx, log))
	if err != nil {
		return nil, err
	}
	log.Info("saved plan applied", "committed", res.Committed, "statements", res.Statements, "fingerprint", saved.Fingerprint.SHA256)
	doc := res.Plan.Document()
	doc.Applied = &res.Committed
	return planResult{doc, Source{src}}, nil
}

// applyOptions are the options of every apply: one log line per change
// applied, and waits that fit the invocation's time (budget.go).
func applyOptions(ctx context.Context, log *slog.Logger) apply.Options {
	opts := apply.Options{
		OnChange: func(c plan.Change) {
			log.Info("applied", "action", c.Action, "object", c.Object, "name", c.Name, "summary", c.Summary)
		},
	}
	budgetApply(ctx, &opts)
	return opts
}

// suggestEventField names the event field an unknown one was probably
// meant to be, from encoding/json's `json: unknown field "x"`.
func suggestEventField(err error) string {
	const prefix = `json: unknown field "`
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return ""
	}
	var fields []string
	t := reflect.TypeFor[Event]()
	for i := range t.NumField() {
		fields = append(fields, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
	}
	return spec.DidYouMean(strings.TrimSuffix(strings.TrimPrefix(msg, prefix), `"`), fields)
}
