//go:build windows

package cmd

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// devSignals are the signals that stop `envoy-plugin dev`.
func devSignals() []os.Signal { return []os.Signal{os.Interrupt} }

// setProcessGroup starts c in a process group of its own (Ctrl-C in the
// console then reaches dev only, which stops the plugin itself).
func setProcessGroup(c *exec.Cmd) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
}

// interruptProcess stops c and its children: Windows has no SIGINT to
// send to another process group, so the tree is ended with taskkill.
func interruptProcess(c *exec.Cmd) error { return killTree(c) }

// terminateProcess ends c and its children (Windows has no SIGTERM).
func terminateProcess(c *exec.Cmd) error { return killTree(c) }

// killProcess ends c and its children.
func killProcess(c *exec.Cmd) error { return killTree(c) }

func killTree(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	if err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(c.Process.Pid)).Run(); err != nil {
		return c.Process.Kill()
	}
	return nil
}

// exitCodeOf is the process's exit status.
func exitCodeOf(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	return ps.ExitCode()
}

// shellCmd runs script with the platform's shell: cmd /S /C "script",
// with the command line given as is (Go's argument quoting does not suit
// cmd's own rules).
func shellCmd(script string) *exec.Cmd {
	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = "cmd.exe"
	}
	c := exec.Command(shell)
	c.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd /S /C "` + script + `"`}
	return c
}

// wsaeaddrinuse is Windows' "address already in use" socket error.
const wsaeaddrinuse = syscall.Errno(10048)

func isAddrInUse(err error) bool {
	return errors.Is(err, wsaeaddrinuse) || errors.Is(err, syscall.EADDRINUSE)
}
