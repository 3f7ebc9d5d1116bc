package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/rolekeeper/rolekeeper/lambdaapi"
	"github.com/rolekeeper/rolekeeper/spec"
)

// runInvoke calls the deployed function with the AWS SDK, prints the tail
// of its log and its result, and exits 1 on a function error (2 for a plan
// with changes, as `plan` does).
func runInvoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var function, action, file, roles, out string
	fs := newFlagSet("invoke", stderr)
	fs.StringVar(&function, "function", os.Getenv("ROLEKEEPER_FUNCTION"), "function name or ARN (env ROLEKEEPER_FUNCTION)")
	fs.StringVar(&action, "action", "plan", "plan, apply, check, inspect, rotate, or manage (template-infra)")
	fs.StringVar(&file, "f", "", "spec file to send as the event's config (default: the function's own spec)")
	fs.StringVar(&roles, "roles", "", "with rotate: comma-separated roles")
	fs.StringVar(&out, "out", "", "with plan: save the function's plan to this file, to apply later with `invoke --action apply FILE`")
	planFile, err := parseFlagsWithArg(fs, args)
	if err != nil {
		return err
	}
	if function == "" {
		return &exitError{1, fmt.Errorf("give the function with --function NAME")}
	}
	event := map[string]any{"action": action}
	if file != "" {
		// Validated here first, so a bad file fails before any call.
		s, err := spec.Load(file)
		if err != nil {
			return err
		}
		cfg, err := specJSON(s)
		if err != nil {
			return err
		}
		event["config"] = cfg
	}
	if roles != "" {
		event["roles"] = splitComma(roles)
	}
	if err := savedPlanEvent(event, action, out, planFile); err != nil {
		return err
	}
	payload, _ := json.Marshal(event)
	cfg, err := awsConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	result, err := lambdaapi.Invoke(ctx, cfg, function, payload)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", function, err)
	}
	if len(result.LogTail) > 0 {
		fmt.Fprintf(stderr, "--- log tail of %s ---\n%s--- end of log tail ---\n", function, result.LogTail)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, result.Payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(result.Payload)
	}
	fmt.Fprintln(stdout, pretty.String())
	if result.FunctionError != "" {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(result.Payload, &fe); err != nil || fe.ErrorMessage == "" {
			// Not Lambda's error shape: the payload printed above says it all.
			return &exitError{1, fmt.Errorf("function error (%s); its payload is printed above", result.FunctionError)}
		}
		return &exitError{1, fmt.Errorf("function error (%s): %s", result.FunctionError, fe.ErrorMessage)}
	}
	if out != "" {
		if err := saveInvokedPlan(out, result.Payload); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Saved the plan to %s. To apply exactly this plan: rolekeeper invoke --function %s --action apply %s\n", out, function, out)
	}
	if action == "plan" {
		var doc struct {
			Changed bool `json:"changed"`
		}
		if json.Unmarshal(result.Payload, &doc) == nil && doc.Changed {
			return &exitError{2, nil}
		}
	}
	return nil
}

// specJSON turns a parsed spec back into the JSON the function parses.
func specJSON(s *spec.Spec) (json.RawMessage, error) {
	y, err := yaml.Marshal(s)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(y, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range bytes.Split([]byte(s), []byte(",")) {
		if len(p) > 0 {
			out = append(out, string(p))
		}
	}
	return out
}
