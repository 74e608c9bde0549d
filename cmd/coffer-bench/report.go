package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one scenario: closed loop at full speed, then open loop at half its rate.
type result struct {
	name   string
	kind   kind
	closed sample
	half   sample
}

// report is everything a run measured.
type report struct {
	cfg          config
	machine      string
	loadStart    string
	loadEnd      string
	build        time.Duration
	accountsLive int
	deepPage     int
	pages        int

	hello         [2]sample // before and after the scenarios
	commits       [2]sample // raw single-row durable commits, before and after the scenarios
	pgbenchInsert float64   // pgbench, one INSERT per transaction (PostgreSQL only)
	pgbenchSelect float64   // pgbench -S (PostgreSQL only)
	scenarios     []result
	stream        streamResult

	peakBeforeStream memory // the server's memory before the stream scenario
	serverErrorLogs  int
	serverLastError  string
}

// helloRate is the hello-world baseline: the mean of its two runs.
func (r *report) helloRate() float64 { return (r.hello[0].rate() + r.hello[1].rate()) / 2 }

// commitRate is the durable commit baseline: the mean of its two runs.
func (r *report) commitRate() float64 { return (r.commits[0].rate() + r.commits[1].rate()) / 2 }

// baseline returns the rate a scenario is compared with, and its name.
func (r *report) baseline(k kind) (float64, string) {
	if k == writeKind {
		return r.commitRate(), "commits"
	}
	return r.helloRate(), "hello"
}

func (r *report) scenario(name string) result {
	for _, s := range r.scenarios {
		if s.name == name {
			return s
		}
	}
	return result{}
}

// errors counts the failed requests of the scenarios and baselines.
func (r *report) errors() int {
	n := r.hello[0].errs + r.hello[1].errs + r.commits[0].errs + r.commits[1].errs + r.stream.errs
	for _, s := range r.scenarios {
		n += s.closed.errs + s.half.errs
	}
	return n
}

func (r *report) firstError() error {
	for _, s := range append([]sample{r.hello[0], r.hello[1], r.commits[0], r.commits[1], r.stream.sample}, r.samples()...) {
		if s.firstErr != nil {
			return s.firstErr
		}
	}
	return nil
}

func (r *report) samples() []sample {
	var out []sample
	for _, s := range r.scenarios {
		out = append(out, s.closed, s.half)
	}
	return out
}

// commitsOn says where the durable commit baseline ran.
func (r *report) commitsOn() string {
	if r.cfg.postgres != "" {
		return "a table of the benchmark database, through pgx"
	}
	return "a fresh SQLite file opened with the server's settings (sqlstore.SQLiteDSN)"
}

func (r *report) engine() string {
	if r.cfg.postgres != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// print writes the table, the notes and the targets.
func (r *report) print(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "coffer-bench: %s, %d customers, %d accounts, %d clients, %s per run\n", r.engine(), c.customers, c.accounts, c.concurrency, c.duration)
	fmt.Fprintf(w, "machine: %s; load average %s at start, %s at end\n", r.machine, r.loadStart, r.loadEnd)
	fmt.Fprintf(w, "data set: created through the API at %.0f accounts/s; %d accounts credited and %d given another status through the coffer command line (%d DELETED); the list filter is currencyCode=%s, the deep page is page %d of %d\n\n",
		float64(c.accounts)/r.build.Seconds(), (c.cliOps+1)/2, c.cliOps/2, c.accounts-r.accountsLive, filterCurrency, r.deepPage, r.pages)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\tmax\tratio\terrors\t½ rate req/s\tp99 at ½\t")
	line := func(name string, s sample, ratio string, half *sample) {
		h1, h2 := "", ""
		if half != nil {
			h1, h2 = fmt.Sprintf("%.0f", half.rate()), ms(half.quantile(0.99))
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", name, s.rate(), ms(s.quantile(0.5)), ms(s.quantile(0.99)), ms(s.max()), ratio, s.errs+errsOf(half), h1, h2)
	}
	line("hello-world (before)", r.hello[0], "", nil)
	line("hello-world (after)", r.hello[1], "", nil)
	line("durable commit (before)", r.commits[0], "", nil)
	line("durable commit (after)", r.commits[1], "", nil)
	for _, s := range r.scenarios {
		base, name := r.baseline(s.kind)
		line(s.name, s.closed, fmt.Sprintf("%.3f %s", s.closed.rate()/base, name), &s.half)
	}
	line("stream GET /customers", r.stream.sample, "", nil)
	tw.Flush()

	fmt.Fprintf(w, "\nratios: reads and lists to hello-world (%.0f req/s, the mean of its two runs), writes to durable commits (%.0f/s, the mean of its two runs: one INSERT per transaction, %d clients, on %s)\n",
		r.helloRate(), r.commitRate(), c.concurrency, r.commitsOn())
	if r.pgbenchInsert > 0 {
		fmt.Fprintf(w, "pgbench at %d clients: one INSERT per transaction %.0f tps; -S (select only) %.0f tps\n", c.concurrency, r.pgbenchInsert, r.pgbenchSelect)
	}
	st := r.stream
	fmt.Fprintf(w, "stream: %.1f MiB/s, one client; server RSS %s before streaming, peak %s while streaming (+%s)\n",
		float64(st.bytes)/(1<<20)/max(st.elapsed.Seconds(), 1e-9), mib(st.rssBefore), mib(st.rssPeak), mib(st.rssPeak-st.rssBefore))
	fmt.Fprintf(w, "server peak RSS (VmHWM): %s\n", mib(max(r.peakBeforeStream.hwm, st.rssPeak)))
	if r.serverErrorLogs > 0 {
		fmt.Fprintf(w, "server logged %d errors; the last: %s\n", r.serverErrorLogs, r.serverLastError)
	}

	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.targets() {
		verdict := "FAIL"
		if t.pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "  %s  %-52s %s\n", verdict, t.name, t.got)
	}
}

func errsOf(s *sample) int {
	if s == nil {
		return 0
	}
	return s.errs
}

// target is one of the performance targets and whether the run met it.
type target struct {
	name string
	got  string
	pass bool
}

// targets checks the measures against the targets of the performance issue.
func (r *report) targets() []target {
	hello := r.helloRate()
	ratio := func(name, scenario string, base float64, baseName string, want float64) target {
		got := r.scenario(scenario).closed.rate() / base
		return target{name, fmt.Sprintf("%.3g × %s (%.3g of the target)", got, baseName, got/want), got >= want}
	}
	first, deep := r.scenario("list first page").closed.rate(), r.scenario("list deep page").closed.rate()
	growth := r.stream.rssPeak - r.stream.rssBefore
	ts := []target{
		ratio("get customer ≥ 0.25 × hello-world", "get customer", hello, "hello-world", 0.25),
		ratio("get account ≥ 0.25 × hello-world", "get account", hello, "hello-world", 0.25),
		ratio("filtered page of 20 ≥ 0.10 × hello-world", "list first page", hello, "hello-world", 0.10),
		{"last page ≥ 0.8 × first page", fmt.Sprintf("%.3g × first page", deep/first), deep >= 0.8*first},
		ratio("create account ≥ 2 × raw durable commits", "create account", r.commitRate(), "commits", 2),
		{"RSS growth while streaming ≤ 32 MiB", "+" + mib(growth), r.stream.peakMeasured && growth <= 32<<20},
	}
	worst, worstName, fails := time.Duration(0), "", []string{}
	for _, s := range r.scenarios {
		p := s.half.quantile(0.99)
		if p > worst {
			worst, worstName = p, s.name
		}
		if p > 10*time.Millisecond {
			fails = append(fails, s.name)
		}
	}
	got := fmt.Sprintf("worst %s (%s)", ms(worst), worstName)
	if len(fails) > 0 {
		got += "; over: " + strings.Join(fails, ", ")
	}
	ts = append(ts, target{"p99 at half the peak rate ≤ 10 ms, every scenario", got, len(fails) == 0})
	if r.pgbenchInsert > 0 {
		ts = append(ts,
			ratio("create account ≥ pgbench single-INSERT tps", "create account", r.pgbenchInsert, "pgbench insert", 1),
			ratio("get account ≥ 0.3 × pgbench -S", "get account", r.pgbenchSelect, "pgbench -S", 0.3),
			ratio("get customer ≥ 0.3 × pgbench -S", "get customer", r.pgbenchSelect, "pgbench -S", 0.3))
	}
	return ts
}

// ms prints a latency in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// mib prints a size in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// describeMachine names the processor and counts the cores.
func describeMachine() string {
	model := "unknown processor"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// loadAverage is the one-minute load average, or "?" where it cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
