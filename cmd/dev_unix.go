//go:build unix

package cmd

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// devSignals are the signals that stop `envoy-plugin dev`.
func devSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} }

// setProcessGroup starts c in a process group of its own, so that dev can
// stop it with everything it started (npm start → sh → node).
func setProcessGroup(c *exec.Cmd) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Setpgid = true
	setDeathSignal(c.SysProcAttr)
}

// interruptProcess sends SIGINT (Ctrl-C) to c's process group.
func interruptProcess(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	return syscall.Kill(-c.Process.Pid, syscall.SIGINT)
}

// terminateProcess sends SIGTERM to c's process group.
func terminateProcess(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	return syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
}

// killProcess kills c's process group.
func killProcess(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
}

// exitCodeOf is the exit status, or 128+signal for a process killed by a
// signal (as shells report it).
func exitCodeOf(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// shellCmd runs script with the platform's shell: sh -c.
func shellCmd(script string) *exec.Cmd { return exec.Command("sh", "-c", script) }

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
