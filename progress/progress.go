// Package progress carries "what is happening now" from the engine to a
// front door that wants to show it. The engine calls Report at each step
// (connecting, inspecting, applying batch k of n, checking user k of n);
// Report does nothing unless the context carries a listener, so the
// Lambda and redirected runs pay nothing and show nothing.
package progress

import (
	"context"
	"fmt"
)

// Func receives one step's description, e.g. "applying batch 2 of 5".
type Func func(step string)

type key struct{}

// With returns a context whose steps go to f.
func With(ctx context.Context, f Func) context.Context {
	return context.WithValue(ctx, key{}, f)
}

// Report tells the context's listener, if any, what is happening now.
func Report(ctx context.Context, format string, args ...any) {
	if f, ok := ctx.Value(key{}).(Func); ok && f != nil {
		f(fmt.Sprintf(format, args...))
	}
}
