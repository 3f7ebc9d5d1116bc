package ops_test

import (
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
