package iostreams

import "github.com/fatih/color"

// ColorScheme colours strings when colour is enabled and returns them
// untouched otherwise.
type ColorScheme struct{ enabled bool }

func (c *ColorScheme) paint(attrs []color.Attribute, s string) string {
	if !c.enabled {
		return s
	}
	col := color.New(attrs...)
	col.EnableColor()
	return col.Sprint(s)
}

func (c *ColorScheme) Bold(s string) string   { return c.paint([]color.Attribute{color.Bold}, s) }
func (c *ColorScheme) Red(s string) string    { return c.paint([]color.Attribute{color.FgRed}, s) }
func (c *ColorScheme) Green(s string) string  { return c.paint([]color.Attribute{color.FgGreen}, s) }
func (c *ColorScheme) Yellow(s string) string { return c.paint([]color.Attribute{color.FgYellow}, s) }
func (c *ColorScheme) Cyan(s string) string   { return c.paint([]color.Attribute{color.FgCyan}, s) }
func (c *ColorScheme) Gray(s string) string   { return c.paint([]color.Attribute{color.FgHiBlack}, s) }

// SuccessIcon, FailureIcon and WarningIcon are the status marks of reports.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }
func (c *ColorScheme) FailureIcon() string { return c.Red("✗") }
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }
