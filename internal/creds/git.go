package creds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// EnsureGitignored makes sure git ignores entry (a file name, a folder
// name ending in "/", or a glob such as ".env.*.bak", relative to dir) by
// appending it to dir/.gitignore when nothing ignores it yet. With git and
// a repository it asks `git check-ignore`; otherwise it reads
// dir/.gitignore itself. tracked reports that the file is already in the
// repository (`git ls-files --error-unmatch`), which .gitignore cannot
// undo.
func EnsureGitignored(dir, entry string) (added bool, tracked bool, err error) {
	entry = strings.TrimPrefix(filepath.ToSlash(entry), "./")
	if entry == "" {
		return false, false, errors.New("empty .gitignore entry")
	}
	sample := strings.NewReplacer("*", "x", "?", "x").Replace(entry)
	ignored, tracked, gitOK := gitStatus(dir, sample, entry != sample)
	if !gitOK {
		ignored, err = gitignoreCovers(filepath.Join(dir, ".gitignore"), sample)
		if err != nil {
			return false, false, err
		}
	}
	if ignored {
		return false, tracked, nil
	}
	if err := appendGitignore(filepath.Join(dir, ".gitignore"), entry); err != nil {
		return false, tracked, err
	}
	return true, tracked, nil
}

// gitStatus asks git whether sample is ignored by the patterns (tracked or
// not) and whether it is tracked. ok is false when git or a repository is
// not there.
func gitStatus(dir, sample string, isGlob bool) (ignored, tracked, ok bool) {
	git, err := exec.LookPath("git")
	if err != nil {
		return false, false, false
	}
	run := func(args ...string) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, git, append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), nil
		}
		return 0, err
	}
	if code, err := run("rev-parse", "--is-inside-work-tree"); err != nil || code != 0 {
		return false, false, false
	}
	// --no-index: look at the patterns even when the file is tracked.
	code, err := run("check-ignore", "-q", "--no-index", "--", sample)
	if err != nil || code > 1 {
		return false, false, false
	}
	ignored = code == 0
	if !isGlob && !strings.HasSuffix(sample, "/") {
		if code, err := run("ls-files", "--error-unmatch", "--", sample); err == nil && code == 0 {
			tracked = true
		}
	}
	return ignored, tracked, true
}

// gitignoreCovers is the fallback without git: the last pattern of the
// file matching name decides (a leading "!" un-ignores).
func gitignoreCovers(file, name string) (bool, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read %s: %v", displayPath(file), unwrapPathErr(err))
	}
	dirOnly := strings.HasSuffix(name, "/")
	name = strings.TrimSuffix(name, "/")
	ignored := false
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		p := strings.TrimRight(line, " \t")
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if strings.HasSuffix(p, "/") {
			if !dirOnly {
				continue
			}
			p = strings.TrimSuffix(p, "/")
		}
		p = strings.TrimPrefix(p, "/")
		if strings.HasPrefix(p, "**/") {
			p = strings.TrimPrefix(p, "**/")
		}
		if ok, _ := path.Match(p, name); ok {
			ignored = !neg
		}
	}
	return ignored, nil
}

// appendGitignore adds entry on a line of its own, creating the file when
// needed and keeping its line endings and mode.
func appendGitignore(file, entry string) error {
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot read %s: %v", displayPath(file), unwrapPathErr(err))
	}
	var before os.FileInfo
	if err == nil {
		if before, err = os.Stat(file); err != nil {
			return err
		}
	}
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	out := append([]byte{}, data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, nl...)
	}
	out = append(out, entry+nl...)
	if err := writeAtomic(file, out, 0o644, before); err != nil {
		return fmt.Errorf("cannot update %s: %w", displayPath(file), err)
	}
	return nil
}
