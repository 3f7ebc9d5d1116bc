// Package pin runs the statements that pin an admin session's settings
// (those a start-up packet cannot carry, see package connect) before
// anything else on the connection, and in the same round trip as the
// session's first statement where the caller can send them together:
// catalog.Inspect queues them at the head of its batch, apply puts them
// in front of its BEGIN. Any other first statement that goes through
// pgx (Exec, Query, SendBatch, CopyFrom, Prepare, Begin) runs them first
// through Tracer, in a round trip of their own.
//
// The statements live in the connection's CustomData. Their state moves
// pending -> sent (Take) -> done (Done) or back to pending (Undo), so
// that statements rolled back with the transaction that carried them run
// again before the next statement.
package pin

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const key = "rolekeeper/connect/pin"

type status int

const (
	pending status = iota // not run yet
	sent                  // sent with a statement whose outcome is not known yet
	done                  // in effect for the session
)

type pins struct {
	stmts  []string
	status status
}

func get(c *pgconn.PgConn) *pins {
	if c == nil {
		return nil
	}
	p, _ := c.CustomData()[key].(*pins)
	return p
}

// Set records stmts as the statements to run before anything else on c.
func Set(c *pgconn.PgConn, stmts []string) {
	if len(stmts) == 0 {
		delete(c.CustomData(), key)
		return
	}
	c.CustomData()[key] = &pins{stmts: stmts}
}

// Pending reports whether c has statements to run before anything else.
func Pending(c *pgconn.PgConn) bool {
	p := get(c)
	return p != nil && p.status == pending
}

// Take returns the pending statements (nil when there are none) for the
// caller to send first, in one round trip with its own statements. The
// caller then calls Done once they are in effect (the round trip
// succeeded outside a transaction, or the transaction that carried them
// committed) or Undo (the round trip failed, or the transaction was
// rolled back).
func Take(c *pgconn.PgConn) []string {
	p := get(c)
	if p == nil || p.status != pending {
		return nil
	}
	p.status = sent
	return p.stmts
}

// Done marks statements taken with Take as in effect, unless the session
// is inside a transaction (which could still be rolled back, taking them
// with it: the caller that commits it calls Done again).
func Done(c *pgconn.PgConn) {
	if p := get(c); p != nil && p.status == sent && c.TxStatus() == 'I' {
		p.status = done
	}
}

// Undo marks statements taken with Take as pending again, so that they
// run before the next statement.
func Undo(c *pgconn.PgConn) {
	if p := get(c); p != nil && p.status == sent {
		p.status = pending
	}
}

// SQL joins statements into one simple-protocol query string.
func SQL(stmts []string) string { return strings.Join(stmts, "; ") }

// Flush runs the pending statements now, in one round trip.
func Flush(ctx context.Context, c *pgconn.PgConn) error {
	stmts := Take(c)
	if stmts == nil {
		return nil
	}
	if _, err := c.Exec(ctx, SQL(stmts)).ReadAll(); err != nil {
		Undo(c)
		return fmt.Errorf("pin the session's settings: %w", err)
	}
	Done(c)
	return nil
}

// Tracer runs the pending statements before any statement sent through
// pgx. A tracer cannot fail the statement it sees, so when they fail the
// connection is closed: nothing runs on a session that is not pinned.
type Tracer struct{}

var (
	_ pgx.QueryTracer    = Tracer{}
	_ pgx.BatchTracer    = Tracer{}
	_ pgx.CopyFromTracer = Tracer{}
	_ pgx.PrepareTracer  = Tracer{}
)

func flushOrClose(ctx context.Context, conn *pgx.Conn) {
	c := conn.PgConn()
	if !Pending(c) {
		return
	}
	if err := Flush(ctx, c); err != nil {
		c.Close(context.Background())
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (Tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	flushOrClose(ctx, conn)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (Tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (Tracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	flushOrClose(ctx, conn)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (Tracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (Tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (Tracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	flushOrClose(ctx, conn)
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (Tracer) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// TracePrepareStart implements pgx.PrepareTracer.
func (Tracer) TracePrepareStart(ctx context.Context, conn *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	flushOrClose(ctx, conn)
	return ctx
}

// TracePrepareEnd implements pgx.PrepareTracer.
func (Tracer) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}
