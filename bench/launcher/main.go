// Command launcher starts the processes the bench measures and reports
// their wall time, exit and peak RSS (package bench/launch says why).
package main

import (
	"fmt"
	"os"

	"github.com/rolekeeper/rolekeeper/bench/launch"
)

func main() {
	if err := launch.Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(1)
	}
}
