package simstate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrLocked means that another `envoy-plugin dev` holds the project's lock.
var ErrLocked = errors.New("another envoy-plugin dev runs for this project")

// LockPath is the lock file that one `envoy-plugin dev` per project holds
// while it runs.
func LockPath(projectDir string) string { return filepath.Join(projectDir, Dir, "dev.lock") }

// DevLock is the held project lock; Release gives it up.
type DevLock struct {
	f *os.File
}

// LockDev takes the project's dev lock without waiting. The operating
// system releases it when the process ends, however it ends (even
// SIGKILL), so a crashed dev never leaves a stale lock. When another
// process holds it, the error wraps ErrLocked and the pid is the holder's
// (0 when unknown).
func LockDev(projectDir string) (*DevLock, int, error) {
	path := LockPath(projectDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, 0, err
	}
	f, err := lockFile(path)
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, readLockPID(path), err
		}
		return nil, 0, fmt.Errorf("locking %s: %w", path, err)
	}
	// Record who holds it (for the message the next dev prints).
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DevLock{f: f}, 0, nil
}

// Release unlocks and closes the lock file (the file itself stays: removing
// it could let two processes lock two different files).
func (l *DevLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	unlockFile(l.f)
	_ = l.f.Close()
	l.f = nil
}

func readLockPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
