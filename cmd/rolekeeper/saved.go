package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolekeeper/rolekeeper/plan"
)

// parseFlagsWithArg parses flags around at most one positional argument
// (`apply --format json plan.out` and `apply plan.out --format json`) and
// returns it, "" when there is none.
func parseFlagsWithArg(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return "", &exitError{0, nil}
		}
		suggestFlag(fs, err)
		return "", &exitError{1, nil} // the flag package has printed why
	}
	if fs.NArg() == 0 {
		return "", nil
	}
	arg := fs.Arg(0)
	return arg, parseFlags(fs, fs.Args()[1:])
}

// writeSavedPlan writes a saved plan through a temporary file, so a
// failure never leaves half a plan behind.
func writeSavedPlan(path string, s *plan.Saved) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rolekeeper-plan-*")
	if err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := plan.WriteSaved(tmp, s); err != nil {
		tmp.Close()
		return fmt.Errorf("save the plan to %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("save the plan to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the plan to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save the plan to %s: %w", path, err)
	}
	return nil
}

// readSavedPlan reads a plan saved by `plan -out`.
func readSavedPlan(path string) (*plan.Saved, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read saved plan: %w", err)
	}
	defer fh.Close()
	return plan.ReadSaved(fh, path)
}
