package lambda

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/rolekeeper/rolekeeper/apply"
)

// rotationEvent recognises an event of Secrets Manager's rotation protocol
// ({"SecretId", "ClientRequestToken", "Step"}; Secrets Manager may add
// fields such as RotationToken, which are ignored).
func rotationEvent(raw json.RawMessage) (apply.RotationEvent, bool) {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return apply.RotationEvent{}, false
	}
	for _, k := range []string{"SecretId", "ClientRequestToken", "Step"} {
		if _, ok := keys[k]; !ok {
			return apply.RotationEvent{}, false
		}
	}
	// The values are read by their exact keys (encoding/json would match
	// a struct field case-insensitively).
	var ev apply.RotationEvent
	if json.Unmarshal(keys["SecretId"], &ev.SecretID) != nil || json.Unmarshal(keys["ClientRequestToken"], &ev.Token) != nil ||
		json.Unmarshal(keys["Step"], &ev.Step) != nil {
		return apply.RotationEvent{}, false
	}
	return ev, true
}

// rotationStep serves one step of a Secrets Manager rotation for a password
// user of the spec (from ROLEKEEPER_SPEC or the package: the event carries
// none). A failed step is a function error: Secrets Manager retries it.
func (h *Handler) rotationStep(ctx context.Context, log *slog.Logger, ev apply.RotationEvent) (any, error) {
	log = log.With("secret", ev.SecretID, "step", ev.Step, "token", ev.Token)
	log.Info("rotation event")
	res, err := h.runRotationStep(ctx, log, ev)
	if err != nil {
		log.Error("rotation step failed", "error", err.Error())
		return nil, err
	}
	log.Info("rotation step", "role", res.Role, "user", res.User, "outcome", res.Outcome)
	return res, nil
}

func (h *Handler) runRotationStep(ctx context.Context, log *slog.Logger, ev apply.RotationEvent) (apply.RotationStepResult, error) {
	s, _, err := h.loadSpec(nil)
	if err != nil {
		return apply.RotationStepResult{}, err
	}
	conn, err := h.connect(ctx, log, s.Database, false)
	if err != nil {
		return apply.RotationStepResult{}, err
	}
	defer conn.Close(context.Background())
	sess, err := h.session(ctx, conn)
	if err != nil {
		return apply.RotationStepResult{}, err
	}
	return sess.RotationStep(ctx, s, ev)
}
