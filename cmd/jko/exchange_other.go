//go:build !linux

package main

import "errors"

// exchange has no atomic form here; swapFolder falls back to two renames.
func exchange(a, b string) error { return errors.New("no atomic exchange") }
