package ops

import (
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// desired returns sp's skeleton for the session's database (spec.Skeleton)
// at once, and a function that returns the whole desired state, which is
// built meanwhile on another goroutine: the catalog is read with the
// skeleton's scope while the whole is built (tens of milliseconds at a
// thousand roles). The spec is not to be changed until whole has returned.
// A panic while building the whole is raised again in whole's caller, as
// it was when the whole was built there: the Lambda runtime reports a
// handler's panic as the invocation's error, and no goroutine of its.
func (s Session) desired(sp *spec.Spec) (skeleton *state.Database, whole func() *state.Database) {
	db := s.Database()
	skeleton = sp.Skeleton(db)
	type result struct {
		want     *state.Database
		panicked any
	}
	built := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				built <- result{panicked: p}
			}
		}()
		built <- result{want: sp.Desired(db)}
	}()
	var r *result
	return skeleton, func() *state.Database {
		if r == nil {
			got := <-built
			r = &got
		}
		if r.panicked != nil {
			panic(r.panicked)
		}
		return r.want
	}
}
