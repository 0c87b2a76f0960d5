package creds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// MaxEnvFileSize bounds the env files read and rewritten.
const MaxEnvFileSize = 1 << 20

// target is an env file about to be rewritten, checked and locked.
type target struct {
	Path   string      // the file written (a symlink's target in the same folder)
	Info   os.FileInfo // nil when the file does not exist yet
	Data   []byte      // current content
	unlock func()
}

// openTarget checks that path can be replaced safely, takes the lock next
// to it and reads it. The caller must call t.unlock().
func openTarget(path string) (*target, error) {
	path = filepath.Clean(path)
	real, err := resolveTarget(path)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(real)
	if err != nil {
		return nil, err
	}
	t := &target{Path: real, unlock: unlock}
	info, err := os.Stat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t, nil
	case err != nil:
		unlock()
		return nil, fmt.Errorf("cannot read %s: %v", displayPath(path), unwrapPathErr(err))
	}
	if err := checkTargetInfo(path, info); err != nil {
		unlock()
		return nil, err
	}
	data, err := os.ReadFile(real)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("cannot read %s: %v", displayPath(path), unwrapPathErr(err))
	}
	t.Info, t.Data = info, data
	return t, nil
}

// CheckEnvFile reports, without writing or locking anything, why path
// could not be rewritten by Generate: a directory, a symlink out of its
// folder, not a regular file, read-only or too big. A missing file is fine
// when its folder exists.
func CheckEnvFile(path string) error {
	path = filepath.Clean(path)
	real, err := resolveTarget(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot read %s: %v", displayPath(path), unwrapPathErr(err))
	}
	return checkTargetInfo(path, info)
}

// checkTargetInfo refuses an existing env file that cannot be rewritten.
func checkTargetInfo(path string, info os.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; pass --env-file with the path of a file", displayPath(path))
	}
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%s is read-only, so it was left untouched; make it writable (chmod u+w %s) and run again", displayPath(path), displayPath(path))
	}
	if info.Size() > MaxEnvFileSize {
		return fmt.Errorf("%s is %d bytes, too big for an env file (limit %d); pass another --env-file", displayPath(path), info.Size(), MaxEnvFileSize)
	}
	return nil
}

// resolveTarget refuses directories and symlinks that lead out of the
// file's folder (replacing the link would cut it); a symlink to a file in
// the same folder is followed.
func resolveTarget(path string) (string, error) {
	dir := filepath.Dir(path)
	dinfo, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("folder %s does not exist; create it or pass another --env-file", displayPath(dir))
		}
		return "", fmt.Errorf("cannot use folder %s: %v", displayPath(dir), unwrapPathErr(err))
	}
	if !dinfo.IsDir() {
		return "", fmt.Errorf("%s is not a folder; pass another --env-file", displayPath(dir))
	}
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot use %s: %v", displayPath(path), unwrapPathErr(err))
	}
	switch {
	case info.IsDir():
		return "", fmt.Errorf("%s is a directory, not an env file; remove it or pass --env-file with a file path", displayPath(path))
	case info.Mode()&fs.ModeSymlink != 0:
		dest, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", fmt.Errorf("%s is a symlink that leads nowhere (%v); fix the link or pass --env-file with a file path", displayPath(path), err)
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return "", fmt.Errorf("cannot use folder %s: %v", displayPath(dir), unwrapPathErr(err))
		}
		if filepath.Dir(dest) != realDir {
			return "", fmt.Errorf("%s is a symlink to %s, outside its folder: refusing to replace the link; pass --env-file %s to write the file itself", displayPath(path), displayPath(dest), displayPath(dest))
		}
		return resolveTarget(dest)
	}
	return path, nil
}

// lockFile takes path.lock with O_EXCL: a second writer fails at once
// instead of losing one of the two updates.
func lockFile(path string) (func(), error) {
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			age := ""
			if info, serr := os.Stat(lock); serr == nil {
				if d := time.Since(info.ModTime()); d > 10*time.Minute {
					age = fmt.Sprintf(" (it is %s old: probably left by a run that crashed)", d.Round(time.Minute))
				}
			}
			return nil, fmt.Errorf("%s is being written by another envoy-plugin (lock file %s exists%s); wait for it to finish, or delete the lock file if no other run is going on", displayPath(path), displayPath(lock), age)
		}
		return nil, fmt.Errorf("cannot write in folder %s (%v); check its permissions or pass another --env-file", displayPath(filepath.Dir(path)), unwrapPathErr(err))
	}
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	_ = f.Close()
	return func() { _ = os.Remove(lock) }, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeAtomic replaces path with data: a temporary file in the same
// folder, fsync, rename. A new file gets perm; an existing one keeps its
// mode. When before is not nil the file must still look as it did when it
// was read (size and modification time), or nothing is written.
func writeAtomic(path string, data []byte, perm fs.FileMode, before os.FileInfo) (err error) {
	if before != nil {
		perm = before.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write in folder %s (%v); check its permissions or pass another --env-file", displayPath(dir), unwrapPathErr(err))
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("cannot set the mode of %s: %v", tmp.Name(), unwrapPathErr(err))
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %v", displayPath(path), unwrapPathErr(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %v", displayPath(path), unwrapPathErr(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", displayPath(path), unwrapPathErr(err))
	}
	if before != nil {
		now, serr := os.Stat(path)
		if serr != nil || now.Size() != before.Size() || !now.ModTime().Equal(before.ModTime()) {
			err = fmt.Errorf("%s changed while envoy-plugin was updating it, so it was left as the other program wrote it; run again", displayPath(path))
			return err
		}
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot replace %s: %v", displayPath(path), unwrapPathErr(err))
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the platform allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync() // fails harmlessly on Windows
	_ = d.Close()
}

// writeNew creates path with O_EXCL (a backup never replaces anything).
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}
