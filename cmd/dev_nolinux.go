//go:build unix && !linux

package cmd

import "syscall"

// setDeathSignal: only Linux can tell a child that its parent died.
func setDeathSignal(*syscall.SysProcAttr) {}
