package install

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

// BrowserOpener returns a function that opens a URL in the user's browser:
// the command in $BROWSER when set (the URL is its last argument), else the
// platform's opener (xdg-open, open, rundll32). It does not wait for the
// browser.
func BrowserOpener(getenv func(string) string) func(string) error {
	return func(u string) error {
		var name string
		var args []string
		if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
			parts := strings.Fields(b)
			name, args = parts[0], parts[1:]
		} else {
			switch runtime.GOOS {
			case "darwin":
				name = "open"
			case "windows":
				name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
			default:
				name = "xdg-open"
			}
		}
		path, err := exec.LookPath(name)
		if err != nil {
			return fmt.Errorf("no browser opener (%s not found)", name)
		}
		cmd := exec.Command(path, append(args, u)...)
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() { _ = cmd.Wait() }()
		return nil
	}
}
