package sample

// registerOptions adds this file's routes to the sample plugin.
func (p *Plugin) registerOptions() {}
