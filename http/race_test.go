//go:build race

package http_test

// raceDetector is true in a build with the race detector, which makes every request several
// times slower: tests that send a fixed volume send less.
const raceDetector = true
