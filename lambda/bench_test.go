package lambda_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// BenchmarkColdStart measures, per iteration, a cold start under the
// emulator: from the invocation that makes the emulator start the function
// process (the emulator starts it on the first invocation, as Lambda does)
// to the first response of a plan of the example spec, so it covers the
// process's start, the Secrets Manager read, the connection and the
// inspection. The emulator's own start, before that, is not the
// function's and is reported apart (emulator-ms). It also reports the
// function process's peak RSS, and the median cold start (median-ms).
//
//	go test -run '^$' -bench ColdStart ./lambda
func BenchmarkColdStart(b *testing.B) {
	pgtest.Fresh(b)
	aws := awstest.New(b)
	cfg := `{"action": "plan", "config": {"roles": {"app": {"auth": "iam"}}}}`
	var peakKB int
	var emulator time.Duration
	var each []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		start := time.Now()
		fn := startFunction(b, rdsEnv(b, aws))
		emulator += time.Since(start)
		b.StartTimer()
		start = time.Now()
		if _, errMsg := fn.invoke(b, cfg); errMsg != "" {
			b.Fatal(errMsg)
		}
		b.StopTimer()
		each = append(each, time.Since(start))
		peakKB = max(peakKB, childPeakRSS(fn.cmd.Process.Pid))
		fn.cmd.Process.Kill()
		fn.cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(emulator.Microseconds())/1000/float64(b.N), "emulator-ms")
	// The median, steadier than the mean on shared cores.
	slices.Sort(each)
	b.ReportMetric(float64(each[len(each)/2].Microseconds())/1000, "median-ms")
}

// childPeakRSS returns the largest VmHWM of the emulator's children (the
// bootstrap process).
func childPeakRSS(pid int) int {
	best := 0
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, k := range strings.Fields(string(kids)) {
			status, _ := os.ReadFile("/proc/" + k + "/status")
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					n, _ := strconv.Atoi(strings.Fields(line)[1])
					best = max(best, n)
				}
			}
		}
	}
	return best
}
