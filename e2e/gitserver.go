package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// GitServer serves one repository over Git's smart HTTP protocol on
// 127.0.0.1 (git http-backend behind net/http/cgi, in the test process), as
// Argo CD's repo-server fetches any http(s) remote. The test commits to a
// working clone and pushes to the served bare repository through the file
// system; the server only serves fetches.
type GitServer struct {
	// URL is the repository's URL (http://127.0.0.1:<port>/models.git).
	URL  string
	work string // the working clone
	srv  *http.Server
	done chan struct{}
}

// StartGitServer creates an empty repository under dir and serves it.
func StartGitServer(dir string) (*GitServer, error) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("git http-backend: %w", err)
	}
	root := filepath.Join(dir, "git")
	bare := filepath.Join(root, "models.git")
	work := filepath.Join(root, "work")
	g := &GitServer{work: work, done: make(chan struct{})}
	for _, args := range [][]string{
		{"init", "--quiet", "--bare", "--initial-branch=main", bare},
		// Argo CD fetches a commit by its SHA when a ref does not hold it.
		{"-C", bare, "config", "uploadpack.allowAnySHA1InWant", "true"},
		{"init", "--quiet", "--initial-branch=main", work},
		{"-C", work, "remote", "add", "origin", bare},
	} {
		if _, err := g.git(args...); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g.URL = fmt.Sprintf("http://%s/models.git", l.Addr())
	g.srv = &http.Server{
		Handler: &cgi.Handler{
			Path: gitBin,
			Args: []string{"http-backend"},
			Dir:  root,
			Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "HOME=" + root},
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(g.done)
		_ = g.srv.Serve(l)
	}()
	return g, nil
}

// Stop stops serving and waits for the server to end.
func (g *GitServer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.srv.Shutdown(ctx); err != nil {
		_ = g.srv.Close()
	}
	<-g.done
}

// Commit writes files (path relative to the repository root -> content;
// an empty content removes the file), commits them with msg and pushes to
// main. It returns the commit's SHA.
func (g *GitServer) Commit(files map[string]string, msg string) (string, error) {
	for name, content := range files {
		path := filepath.Join(g.work, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	for _, args := range [][]string{
		{"-C", g.work, "add", "--all"},
		{"-C", g.work, "commit", "--quiet", "--allow-empty", "-m", msg},
		{"-C", g.work, "push", "--quiet", "origin", "HEAD:main"},
	} {
		if _, err := g.git(args...); err != nil {
			return "", err
		}
	}
	out, err := g.git("-C", g.work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Revert commits the revert of commit sha and pushes it.
func (g *GitServer) Revert(sha string) (string, error) {
	for _, args := range [][]string{
		{"-C", g.work, "revert", "--no-edit", sha},
		{"-C", g.work, "push", "--quiet", "origin", "HEAD:main"},
	} {
		if _, err := g.git(args...); err != nil {
			return "", err
		}
	}
	out, err := g.git("-C", g.work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// git runs git with a fixed identity and no user or system configuration.
func (g *GitServer) git(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=servelayer e2e", "GIT_AUTHOR_EMAIL=e2e@servelayer.invalid",
		"GIT_COMMITTER_NAME=servelayer e2e", "GIT_COMMITTER_EMAIL=e2e@servelayer.invalid",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}
