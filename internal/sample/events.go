package sample

// registerEvents adds this file's routes to the sample plugin.
func (p *Plugin) registerEvents() {}
