package main

import (
	"encoding/json"
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

// savedPlanEvent adds to an invoke's event what saved plans need: with
// -out, plan asks for the saved plan; with a plan file, apply sends it.
func savedPlanEvent(event map[string]any, action, out, planFile string) error {
	if out != "" {
		if action != "plan" {
			return &exitError{1, fmt.Errorf("-out saves a plan: use it with --action plan, not %s", action)}
		}
		event["save_plan"] = true
	}
	if planFile != "" {
		if action != "apply" {
			return &exitError{1, fmt.Errorf("a plan file is applied: use it with --action apply, not %s", action)}
		}
		saved, err := readSavedPlan(planFile)
		if err != nil {
			return err
		}
		event["plan"] = saved
	}
	return nil
}

// saveInvokedPlan writes the saved_plan of the function's plan response.
func saveInvokedPlan(path string, payload []byte) error {
	var res struct {
		SavedPlan *plan.Saved `json:"saved_plan"`
	}
	if err := json.Unmarshal(payload, &res); err != nil || res.SavedPlan == nil {
		return &exitError{1, fmt.Errorf("the function returned no saved_plan (is it older than saved plans?); nothing was saved to %s", path)}
	}
	if err := res.SavedPlan.Check("the function's saved_plan"); err != nil {
		return err
	}
	return writeSavedPlan(path, res.SavedPlan)
}
