package lambda

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/rolekeeper/rolekeeper/plan"
)

// MetricsNamespace is the CloudWatch namespace of the drift metrics
// (ROLEKEEPER_METRICS_NAMESPACE overrides it).
const MetricsNamespace = "rolekeeper"

// Drift metrics, one value each per scheduled plan.
const (
	MetricPendingChanges = "PendingChanges" // changes apply would make (temporary memberships not counted)
	MetricProblems       = "Problems"       // problems that keep the plan from being applied
	MetricPlanFailed     = "PlanFailed"     // 1 when the plan could not be computed (database unreachable, bad spec)
)

// driftMetrics is one CloudWatch embedded-metric-format document
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// written to standard output as a log line of its own, it becomes metrics
// without any API call. Dimensions: the function's name and the database.
func driftMetrics(namespace, function, database string, changes, problems int, failed bool, now time.Time) []byte {
	failedValue := 0
	if failed {
		failedValue = 1
	}
	doc := map[string]any{
		"_aws": map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  namespace,
				"Dimensions": [][]string{{"FunctionName", "Database"}},
				"Metrics": []any{
					map[string]string{"Name": MetricPendingChanges, "Unit": "Count"},
					map[string]string{"Name": MetricProblems, "Unit": "Count"},
					map[string]string{"Name": MetricPlanFailed, "Unit": "Count"},
				},
			}},
		},
		"FunctionName":       function,
		"Database":           database,
		MetricPendingChanges: changes,
		MetricProblems:       problems,
		MetricPlanFailed:     failedValue,
	}
	b, _ := json.Marshal(doc) // maps of strings and numbers: cannot fail
	return append(b, '\n')
}

// writeDriftMetrics writes the drift metrics of a plan's result (or of
// its failure) to the handler's output, the function's log.
func (h *Handler) writeDriftMetrics(res any, err error) {
	changes, problems, database := 0, 0, h.getenv("PGDATABASE")
	if r, ok := res.(planResult); ok {
		changes, problems, database = pendingChanges(r.Changes), len(r.Problems), r.Database
	}
	if r, ok := res.(multiResult); ok {
		// One record per database; the cluster's changes and problems
		// count in the first, whose transaction runs them.
		for i, d := range r.DatabasePlans {
			changes, problems := pendingChanges(d.Changes), len(d.Problems)
			if i == 0 {
				changes += pendingChanges(r.ClusterChanges)
				problems += len(r.Problems) - problemsIn(r.DatabasePlans)
			}
			h.writeMetrics(d.Database, changes, problems, false)
		}
		return
	}
	if database == "" {
		database = h.getenv("DB_NAME")
	}
	h.writeMetrics(database, changes, problems, err != nil)
}

// problemsIn counts the problems of the databases' own sections.
func problemsIn(dbs []plan.DatabaseSection) int {
	n := 0
	for _, d := range dbs {
		n += len(d.Problems)
	}
	return n
}

// writeMetrics writes one embedded-metric-format record.
func (h *Handler) writeMetrics(database string, changes, problems int, failed bool) {
	namespace := h.getenv("ROLEKEEPER_METRICS_NAMESPACE")
	if namespace == "" {
		namespace = MetricsNamespace
	}
	function := h.getenv("AWS_LAMBDA_FUNCTION_NAME")
	if function == "" {
		function = "rolekeeper"
	}
	out := h.Out
	if out == nil {
		out = os.Stdout
	}
	if _, werr := out.Write(driftMetrics(namespace, function, database, changes, problems, failed, time.Now())); werr != nil {
		fmt.Fprintf(os.Stderr, "write drift metrics: %v\n", werr)
	}
}

// pendingChanges counts the changes apply would make; the temporary
// memberships that bracket them are not changes of their own.
func pendingChanges(changes []plan.Change) int {
	n := 0
	for _, c := range changes {
		if c.Action != plan.ActionTemporary {
			n++
		}
	}
	return n
}
