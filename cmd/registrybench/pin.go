package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// pinning is where the bench puts its processes: registryd on server
// CPUs, the bench's own load (its goroutines, pgbench, psql) on load CPUs,
// so that the load generator does not take the server's CPU time. It uses
// taskset (util-linux): registryd starts under `taskset -c`, the bench
// moves all its own threads with `taskset -a -p` (pgbench and psql, its
// children, inherit that). PostgreSQL is a system service the bench did
// not start and cannot move without disturbing others: its backends run
// on any CPU.
type pinning struct {
	on           bool
	server, load []int
	why          string // when off
}

// minAutoPinCPUs is the fewest CPUs --pin auto pins on: with two, each
// side gets one CPU and the server, which does the work, loses half the
// machine.
const minAutoPinCPUs = 4

// choosePinning decides from --pin (auto, on, off) and the CPUs this
// process may run on.
func choosePinning(mode string, cpus []int) (pinning, error) {
	switch mode {
	case "off":
		return pinning{why: "--pin off"}, nil
	case "auto":
		if len(cpus) < minAutoPinCPUs {
			return pinning{why: fmt.Sprintf("--pin auto pins from %d CPUs; this process may use %d", minAutoPinCPUs, len(cpus))}, nil
		}
	case "on":
		if len(cpus) < 2 {
			return pinning{why: "--pin on needs 2 CPUs; this process may use 1"}, nil
		}
	default:
		return pinning{}, fmt.Errorf("--pin %q: want auto, on or off", mode)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return pinning{why: "no taskset on this machine"}, nil
	}
	// The load gets the lower half, the server the upper half (the
	// larger, when odd).
	half := len(cpus) / 2
	return pinning{on: true, load: cpus[:half], server: cpus[half:]}, nil
}

// allowedCPUs reads the CPUs this process may run on from /proc.
func allowedCPUs() ([]int, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(rest))
		}
	}
	return nil, fmt.Errorf("no Cpus_allowed_list in /proc/self/status")
}

// parseCPUList reads a list like 0-3,6,8-9.
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// cpuList writes cpus as taskset takes them.
func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// command returns the command running bin with args, under taskset on the
// server CPUs when pinning.
func (p pinning) command(bin string, args ...string) *exec.Cmd {
	if !p.on {
		return exec.Command(bin, args...)
	}
	return exec.Command("taskset", append([]string{"-c", cpuList(p.server), bin}, args...)...)
}

// moveSelf puts every thread of this process on cpus and sizes GOMAXPROCS
// to them; threads and children made later inherit the setting.
func moveSelf(ctx context.Context, cpus []int) error {
	out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", cpuList(cpus), strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p: %w: %s", err, out)
	}
	runtime.GOMAXPROCS(len(cpus))
	return nil
}

// footnote says what was pinned where.
func (p pinning) footnote() string {
	if !p.on {
		return fmt.Sprintf("Pinning: none (%s); registryd, the bench's load, pgbench and PostgreSQL share all %d CPUs.", p.why, runtime.NumCPU())
	}
	return fmt.Sprintf("Pinning (--pin): registryd on CPU %s (taskset -c); the bench's load goroutines (GOMAXPROCS %d), pgbench and psql on CPU %s (taskset -a -p); "+
		"the SQLite baseline, which runs in the bench's process, on CPU %s like the server; PostgreSQL, a system service, unpinned on any CPU.",
		cpuList(p.server), len(p.load), cpuList(p.load), cpuList(p.server))
}
