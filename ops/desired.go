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
func (s Session) desired(sp *spec.Spec) (skeleton *state.Database, whole func() *state.Database) {
	db := s.Database()
	skeleton = sp.Skeleton(db)
	built := make(chan *state.Database, 1)
	go func() { built <- sp.Desired(db) }()
	var want *state.Database
	return skeleton, func() *state.Database {
		if want == nil {
			want = <-built
		}
		return want
	}
}
