package simstate

import (
	"errors"
	"os"
	"runtime"
	"testing"
)

func TestLockDev(t *testing.T) {
	dir := t.TempDir()
	first, _, err := LockDev(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	second, holder, err := LockDev(dir)
	if !errors.Is(err, ErrLocked) || second != nil {
		t.Fatalf("second lock = %v, %v; want ErrLocked", second, err)
	}
	if runtime.GOOS != "windows" && holder != os.Getpid() { // Windows: the held file cannot be read
		t.Errorf("holder = %d, want %d", holder, os.Getpid())
	}
	first.Release()
	first.Release() // twice is harmless
	third, _, err := LockDev(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	third.Release()
}
