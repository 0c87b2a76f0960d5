package sample

// registerSetup adds this file's routes to the sample plugin.
func (p *Plugin) registerSetup() {}
