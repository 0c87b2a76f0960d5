//go:build linux

package cmd

import "syscall"

// setDeathSignal asks the kernel to send SIGTERM to the child when dev
// dies, however it dies (even SIGKILL, which dev cannot catch to stop the
// plugin's process group itself). SIGTERM rather than SIGKILL: a launcher
// such as npm forwards it to the server it started, which a SIGKILL would
// leave running.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
