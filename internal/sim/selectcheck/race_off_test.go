//go:build !race

package selectcheck

const raceEnabled = false
