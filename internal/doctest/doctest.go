// Package doctest runs the shell blocks of the project's documentation, so
// that a command in the README or a walk-through that stops working fails
// `make test`.
//
// The documents are README.md, inputs/README.md and every docs/**/*.md,
// found by glob: a new walk-through under docs/gateways/ is run without a
// change here. Each ```sh (also ```bash, ```shell) fenced block of a file
// runs, in order, in ONE `bash -e -o pipefail` per file, so that the blocks
// share the shell's variables and background jobs, as they do for a reader
// pasting them into one terminal. Blocks that must not run on this machine
// (a console's steps, `make test` itself) are ```text.
//
// The shell runs in a fresh temporary directory holding a copy of the
// repository's inputs/ and internal/gateway/testdata/ (what a command may
// name by path, as from a clone), with `apicenter` built from this tree
// first on PATH, HOME set to an empty temporary directory, and no OKTA_* or
// APICENTER_* variable inherited, for 3 minutes at most. It runs in its own
// process group, which is stopped at the end (SIGTERM, then SIGKILL): the
// servers a block starts in the background do not survive the test. A
// failing command fails the test with the file and line of the command, its
// block, and the shell's output. A document that calls curl, jq or openssl
// on a machine without it is skipped, naming the package to install.
//
// The walk-throughs start the web app, the gateway and the API on their
// default ports (8080, 8081, 8082), as a reader does; the files therefore
// run one after another, never in parallel.
package doctest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Block is one runnable fenced block of a Markdown file.
type Block struct {
	// Line is the line of the opening fence (1-based); the block's first
	// command is on Line+1.
	Line int
	// Text is the block's content, without the fences.
	Text string
}

// runnable are the info strings of the fenced blocks that run.
var runnable = map[string]bool{"sh": true, "bash": true, "shell": true}

// Blocks returns the runnable fenced blocks of a Markdown document, in
// order. A fence is three or more backticks or tildes, indented by at most
// three spaces; its info string's first word is the language. An unclosed
// block is an error naming its line.
func Blocks(md []byte) ([]Block, error) {
	var (
		blocks []Block
		open   string // the opening fence while inside a block
		lang   string
		start  int
		text   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if open == "" {
			fence := fenceOf(trimmed)
			if fence == "" || indent > 3 {
				continue
			}
			open, start = fence, n
			lang, _, _ = strings.Cut(strings.TrimSpace(trimmed[len(fence):]), " ")
			text.Reset()
			continue
		}
		if indent <= 3 && fenceOf(trimmed) != "" && strings.HasPrefix(trimmed, open) && strings.TrimSpace(strings.TrimLeft(trimmed, open[:1])) == "" {
			if runnable[lang] {
				blocks = append(blocks, Block{Line: start, Text: text.String()})
			}
			open = ""
			continue
		}
		text.WriteString(line)
		text.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if open != "" {
		return nil, fmt.Errorf("line %d: the fenced block is never closed", start)
	}
	return blocks, nil
}

// fenceOf returns the fence a line starts with (``` or ~~~, or longer), or "".
func fenceOf(s string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(s) && s[n] == c {
			n++
		}
		if n >= 3 {
			return s[:n]
		}
	}
	return ""
}

// Run is one document's run.
type Run struct {
	// Name is the document's path relative to the repository, used in
	// messages ("README.md:120").
	Name string
	// Blocks are its runnable blocks.
	Blocks []Block
	// Dir is the working directory; Home the HOME; BinDir is put first on
	// PATH.
	Dir, Home, BinDir string
	// Env is the environment before HOME and PATH are set; OKTA_* and
	// APICENTER_* variables are dropped from it.
	Env []string
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Scratch is a directory outside Dir for the script and its output.
	Scratch string
}

// Failure is a document whose run failed.
type Failure struct {
	// File is the document; Line the line of the command that failed, or
	// the fence of the last block that started when the shell timed out or
	// exited.
	File string
	Line int
	// Block is the block of that line (zero when none started).
	Block Block
	// Why says what happened: the exit status, or the timeout.
	Why string
	// Output is what the shell and its commands printed (stdout and stderr).
	Output string
}

// Where is file:line.
func (f *Failure) Where() string { return fmt.Sprintf("%s:%d", f.File, f.Line) }

func (f *Failure) Error() string {
	return fmt.Sprintf("%s: %s\n--- the block (%s:%d) ---\n%s--- output ---\n%s", f.Where(), f.Why, f.File, f.Block.Line, f.Block.Text, f.Output)
}

// Do runs the document's blocks in one bash and stops every process it
// started. It returns the output, and a *Failure when a command failed or
// the run timed out; another error when the shell could not be run or a
// process survived.
func (r *Run) Do(ctx context.Context) (string, error) {
	script, lines := r.script()
	scriptPath := filepath.Join(r.Scratch, "doc.sh")
	failedPath := scriptPath + ".failed" // written by the ERR trap
	if err := os.WriteFile(scriptPath, []byte(script), 0o600); err != nil {
		return "", err
	}
	out, err := os.Create(filepath.Join(r.Scratch, "output"))
	if err != nil {
		return "", err
	}
	defer out.Close()

	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", scriptPath)
	cmd.Dir = r.Dir
	cmd.Env = r.env()
	// A file, not a pipe: Wait must not wait for the background servers
	// that inherited the shell's stdout.
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	runErr := cmd.Run()
	pgid := 0
	if cmd.Process != nil {
		pgid = cmd.Process.Pid
	}
	stopErr := stopGroup(pgid)
	output, _ := os.ReadFile(out.Name())

	if runErr != nil {
		f := &Failure{File: r.Name, Output: string(output), Why: runErr.Error()}
		if ctx.Err() != nil {
			f.Why = fmt.Sprintf("timed out after %s", r.Timeout)
		}
		at := -1
		if b, err := os.ReadFile(failedPath); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if n, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && n-1 < len(lines) && n >= 1 {
				at = n - 1
			}
		}
		if at < 0 { // no ERR trap ran (a timeout, an exit): the last block that started
			at = r.lastStarted(string(output), lines)
		}
		if at >= 0 && lines[at].block >= 0 {
			f.Line, f.Block = lines[at].line, r.Blocks[lines[at].block]
		}
		return string(output), errors.Join(f, stopErr)
	}
	return string(output), stopErr
}

// scriptLine maps a line of the script to its document: block -1 for the
// harness's own lines.
type scriptLine struct {
	block, line int
}

// marker starts each block in the output, so that a reader of a failure
// sees where each block began.
const markerPrefix = "[doctest] "

// script joins the blocks, after a header that sets the shell's options
// and records the line of a failing command.
func (r *Run) script() (string, []scriptLine) {
	var b strings.Builder
	var lines []scriptLine
	add := func(s string, block, line int) {
		b.WriteString(s)
		b.WriteByte('\n')
		lines = append(lines, scriptLine{block, line})
	}
	add("set -eo pipefail", -1, 0)
	add(`trap 'echo $LINENO >> "$0.failed"' ERR`, -1, 0)
	for i, bl := range r.Blocks {
		add(fmt.Sprintf("echo %s >&2", shellQuote(r.marker(bl))), i, bl.Line)
		for j, l := range strings.Split(strings.TrimSuffix(bl.Text, "\n"), "\n") {
			add(l, i, bl.Line+1+j)
		}
	}
	return b.String(), lines
}

// lastStarted finds the script line of the marker of the last block that
// started, from the markers in the output.
func (r *Run) lastStarted(output string, lines []scriptLine) int {
	at := -1
	for i, l := range lines {
		if l.block >= 0 && l.line == r.Blocks[l.block].Line && strings.Contains(output, r.marker(r.Blocks[l.block])+"\n") {
			at = i
		}
	}
	return at
}

// marker is the line printed when a block starts.
func (r *Run) marker(b Block) string {
	return fmt.Sprintf("%s%s:%d", markerPrefix, r.Name, b.Line)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// env is the shell's environment: Env without OKTA_* and APICENTER_*, with
// HOME and PATH set.
func (r *Run) env() []string {
	var env []string
	path := ""
	for _, kv := range r.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OKTA_"), strings.HasPrefix(k, "APICENTER_"), k == "HOME", k == "BASH_ENV", k == "ENV", k == "CDPATH":
			continue
		case k == "PATH":
			path = v
			continue
		}
		env = append(env, kv)
	}
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	return append(env, "HOME="+r.Home, "PATH="+r.BinDir+string(os.PathListSeparator)+path)
}

// stopGroup stops every process of the group pgid: SIGTERM, so that the
// servers stop cleanly, then SIGKILL for those still there after 6 s (the
// servers give requests in flight 5 s). It is an error if one survives that.
func stopGroup(pgid int) error {
	if pgid <= 0 {
		return nil
	}
	if len(groupMembers(pgid)) == 0 {
		return nil
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	for range 60 {
		if len(groupMembers(pgid)) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for range 50 {
		if len(groupMembers(pgid)) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("processes %v of the documentation's shell survived SIGKILL", groupMembers(pgid))
}

// groupMembers returns the live (not zombie) processes of the group pgid,
// from /proc; where there is no /proc, whether the group answers signal 0.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		if syscall.Kill(-pgid, 0) == nil {
			return []int{-pgid}
		}
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}
