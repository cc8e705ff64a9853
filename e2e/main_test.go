package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The one cluster every scenario shares, started by TestMain.
var (
	cluster *Cluster
	repo    string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	repo, err = filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Interrupt (Ctrl-C, go test's own SIGINT/SIGTERM): stop the cluster,
	// then exit. The servers run in their own process groups, so the
	// terminal's signal does not reach them; this does.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := make(chan struct{})
	go func() {
		s := <-sigs
		close(interrupted)
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the cluster\n", s)
		cancel()
		if cluster != nil {
			cluster.Stop()
		}
		os.Exit(130)
	}()

	start := time.Now()
	src, err := FindSources(repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	cluster, err = Start(ctx, BinariesIn(repo), src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the cluster:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: cluster up in %s (%s)\n", time.Since(start).Round(100*time.Millisecond), cluster.Dir)
	// CPU-only workers for what needs no GPU (the llm-d router-scheduler).
	if err := cluster.AddNodes(ctx, NodePool{Name: "cpu", Nodes: 2}); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cpu nodes:", err)
		cluster.Stop()
		return 1
	}
	pids := cluster.procs.pids()
	code := m.Run()
	select {
	case <-interrupted:
		// The tests ended because the cluster is stopping: let the
		// handler finish stopping it and exit.
		select {}
	default:
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: logs:\n%s", cluster.Logs(40))
	}
	cluster.Stop()
	// Every process, and every process group, is gone.
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(os.Stderr, "e2e: process group %d still exists after Stop (%v)\n", pid, err)
			code = 1
		}
	}
	return code
}
