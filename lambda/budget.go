package lambda

import (
	"context"
	"fmt"
	"time"

	"github.com/rolekeeper/rolekeeper/apply"
)

// Time inside Lambda. An invocation has a deadline (the function's
// timeout); when it passes, Lambda kills the process and the caller sees
// only "Task timed out". So every wait rolekeeper makes is cut from the
// deadline: the work gets the time up to the deadline less a reserve, kept
// to roll back, close the connection and send the answer, and a slow
// database ends with rolekeeper's own error naming what it waited for.

// reserveFor is the time kept back from an invocation of total length: a
// tenth, at least 2 s and at most 15 s.
func reserveFor(total time.Duration) time.Duration {
	return min(max(total/10, 2*time.Second), 15*time.Second)
}

// withBudget returns ctx bounded by the invocation's deadline less the
// reserve, and the reserve; ctx without a deadline is returned as is.
func withBudget(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}, 0
	}
	reserve := reserveFor(time.Until(dl))
	ctx, cancel := context.WithDeadline(ctx, dl.Add(-reserve))
	return ctx, cancel, reserve
}

// remaining is the time left in ctx's budget; ok is false without one.
func remaining(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return max(time.Until(dl), 0), true
}

// connectRetry is how long to keep retrying the connection: the
// configured time (ROLEKEEPER_CONNECT_RETRY), else half the budget up to
// 2 minutes (an Aurora Serverless v2 cluster resuming from zero capacity
// answers within about 15 to 30 s), never more than the budget.
func connectRetry(ctx context.Context, configured time.Duration, set bool) time.Duration {
	left, ok := remaining(ctx)
	switch {
	case !ok && set:
		return configured
	case !ok:
		return 30 * time.Second
	case set:
		return min(configured, left)
	}
	return min(left/2, 2*time.Minute)
}

// budgetApply fits apply's waits into what is left: the statement timeout
// is the time left, the wait for another rolekeeper run at most half of it,
// each wait for the application's locks at most a quarter.
func budgetApply(ctx context.Context, opts *apply.Options) {
	left, ok := remaining(ctx)
	if !ok {
		return
	}
	left = max(left, 100*time.Millisecond)
	opts.StatementTimeout = left
	opts.WaitTimeout = min(2*time.Minute, left/2)
	opts.LockTimeout = min(5*time.Second, left/4)
}

// outOfTime rewrites an error that the budget caused into one that says so.
func outOfTime(ctx context.Context, reserve time.Duration, err error) error {
	if err == nil || ctx.Err() == nil || reserve == 0 {
		return err
	}
	return fmt.Errorf("the invocation's time ran out (%s were kept to roll back and answer); nothing was committed unless the log says so; raise the function's timeout: %w", reserve, err)
}
