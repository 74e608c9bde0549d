package main

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the kernel stop the child if this process dies without stopping it.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
