package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// Every file jko writes goes through checkOutput (before any computing, so
// a fit of hours is not lost to a missing folder) and writeOutput (a
// temporary file next to the destination, renamed over it whole). Only
// regular files are replaced: symbolic links, FIFOs, devices, folders and
// read-only files are refused. "-" is the standard output.

// stdoutName is the -o value that means the standard output.
const stdoutName = "-"

// checkOutput reports whether name can be written as a file: a regular,
// writable file or a new file in an existing, writable folder. what names
// the flag in messages ("-o", "--loss-csv").
func checkOutput(what, name string) error {
	if name == stdoutName {
		return nil
	}
	if name == "" {
		return fmt.Errorf("%s: empty file name", what)
	}
	st, err := os.Lstat(name)
	switch {
	case err == nil:
		if err := regularWritable(st); err != nil {
			return fmt.Errorf("%s %s: %v", what, name, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: %v", what, name, innerErr(err))
	}
	return checkFolder(what, name)
}

// regularWritable refuses anything but a regular file with write
// permission.
func regularWritable(st fs.FileInfo) error {
	m := st.Mode()
	switch {
	case m&fs.ModeSymlink != 0:
		return errors.New("is a symbolic link; jko replaces only regular files (give the path it points to)")
	case m.IsDir():
		return errors.New("is a folder; give a file name")
	case !m.IsRegular():
		kind := "special file"
		switch {
		case m&fs.ModeNamedPipe != 0:
			kind = "named pipe (FIFO)"
		case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
			kind = "device"
		case m&fs.ModeSocket != 0:
			kind = "socket"
		}
		return fmt.Errorf("is a %s, not a regular file; jko replaces only regular files", kind)
	case m.Perm()&0o200 == 0:
		return errors.New("is read-only; jko does not replace it")
	}
	return nil
}

// checkFolder checks that the folder of name exists and takes new files.
func checkFolder(what, name string) error {
	dir := filepath.Dir(name)
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s %s: the folder %s does not exist", what, name, dir)
		}
		return fmt.Errorf("%s %s: %v", what, name, innerErr(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s %s: %s is not a folder", what, name, dir)
	}
	probe, err := createTemp(dir, ".jko-probe*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write in the folder %s: %v", what, name, dir, innerErr(err))
	}
	probe.Close()
	removeTemp(probe.Name())
	return nil
}

// writeOutput writes data to name ("-": g.stdout) through a temporary file
// in the same folder, renamed over name only once complete. Errors name
// name, never the temporary file, which is removed on every failure (and
// on an interrupt: see catchInterrupts).
func writeOutput(g *globals, what, name string, data []byte) error {
	if name == stdoutName {
		_, err := g.stdout.Write(data)
		return err
	}
	if err := checkOutput(what, name); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	fail := func(err error) error { return fmt.Errorf("writing %s: %v", name, innerErr(err)) }
	tmp, err := createTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fail(err)
	}
	defer removeTemp(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fail(err)
	}
	return nil
}

// innerErr drops the path of a *fs.PathError or *os.LinkError (which may
// be a temporary file's) from err; callers name the destination.
func innerErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// temps are the temporary files and folders being written, removed when
// jko is interrupted.
var temps = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

func createTemp(dir, pattern string) (*os.File, error) {
	temps.Lock()
	defer temps.Unlock()
	f, err := os.CreateTemp(dir, pattern)
	if err == nil {
		temps.paths[f.Name()] = true
	}
	return f, err
}

func mkdirTemp(dir, pattern string) (string, error) {
	temps.Lock()
	defer temps.Unlock()
	p, err := os.MkdirTemp(dir, pattern)
	if err == nil {
		temps.paths[p] = true
	}
	return p, err
}

// removeTemp removes a temporary file or folder (if still there) and
// forgets it.
func removeTemp(p string) {
	temps.Lock()
	defer temps.Unlock()
	os.RemoveAll(p)
	delete(temps.paths, p)
}

// removeTemps removes every temporary file or folder still registered.
func removeTemps() {
	temps.Lock()
	defer temps.Unlock()
	var ps []string
	for p := range temps.paths {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	for _, p := range ps {
		os.RemoveAll(p)
		delete(temps.paths, p)
	}
}

// catchInterrupts removes the temporary files when jko is interrupted
// (Ctrl-C, SIGTERM) and exits with status 130. A closed standard output
// (jko fit … | head) makes writes to it fail instead of killing jko, so
// the files it writes after its report are still written.
func catchInterrupts() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		removeTemps()
		fmt.Fprintf(os.Stderr, "jko: %v: stopped; unfinished outputs removed\n", s)
		os.Exit(130)
	}()
}

// datasetFiles are the files jko simulate writes into a dataset folder.
var datasetFiles = map[string]bool{
	"data.npy": true, "sample_labels.npy": true, "train_data.npy": true, "train_sample_labels.npy": true,
	"test_data.npy": true, "test_sample_labels.npy": true, "times.npy": true, "args.txt": true,
	"spec.jko": true, "data.csv": true,
}

// checkDatasetFolder reports whether dir can receive a dataset: a new
// folder (its parent folders are created), or one that holds only files a
// dataset has (jko replaces it whole, so nothing else may be in it).
func checkDatasetFolder(what, dir string) error {
	if dir == stdoutName {
		return fmt.Errorf("%s -: a dataset is a folder of files, not a stream; give a folder", what)
	}
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		parent := filepath.Dir(dir)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("%s %s: %v", what, dir, innerErr(err))
		}
		return checkFolder(what, dir)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %v", what, dir, innerErr(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s %s: exists and is not a folder (%v)", what, dir, st.Mode().Type())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %v", what, dir, innerErr(err))
	}
	for _, e := range entries {
		if !datasetFiles[e.Name()] || !e.Type().IsRegular() {
			return fmt.Errorf("%s %s: the folder holds %s, which is not part of a dataset; jko replaces a dataset folder whole, so give a new or empty folder", what, dir, e.Name())
		}
	}
	return checkFolder(what, dir)
}

// writeDatasetFolder fills a fresh temporary folder next to dir with fill
// and swaps it in whole for dir: an interrupted, failed or concurrent run
// never leaves a folder mixing two datasets, nor stale files.
func writeDatasetFolder(what, dir string, fill func(tmp string) error) error {
	if err := checkDatasetFolder(what, dir); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	tmp, err := mkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %v", dir, innerErr(err))
	}
	defer removeTemp(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("writing %s: %v", dir, innerErr(err))
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := swapFolder(tmp, dir); err != nil {
		return fmt.Errorf("writing %s: %v", dir, innerErr(err))
	}
	return nil
}

// swapFolder puts the folder tmp in place of dir; afterwards tmp holds the
// old dir (if there was one), for the caller to remove.
func swapFolder(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	if exchange(tmp, dir) == nil {
		return nil
	}
	// No atomic exchange here: move the old folder aside, the new one in.
	old, err := mkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".old*")
	if err != nil {
		return err
	}
	defer removeTemp(old)
	if err := os.Rename(dir, filepath.Join(old, "d")); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(filepath.Join(old, "d"), dir)
		return err
	}
	return nil
}
