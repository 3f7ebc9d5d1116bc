package sandbox

import (
	"os"
	"strconv"
	"syscall"
)

// closeInheritedOnExec marks the file descriptors this process inherited
// (beyond stdin, stdout and stderr) close-on-exec, so that the server does
// not keep them open. Go opens its own files close-on-exec, but not what it
// inherits: a lock taken by `flock LOCK go test`, say, would otherwise be
// held by the server for as long as it runs, and a server left behind by
// a killed test would hold it for ever. Where /proc is missing it does
// nothing.
func closeInheritedOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
