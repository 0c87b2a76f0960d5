//go:build race

package selectcheck

// raceEnabled: the race detector slows decoding about tenfold; tests that
// move many bytes move fewer.
const raceEnabled = true
