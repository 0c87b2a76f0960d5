package manifest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Find looks for name in dir and its parents, the way git looks for .git,
// and stops after the folder that holds .git (the repository root). It
// returns the path found, or "" when there is none.
func Find(dir, name string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return "", nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}
