# hack/fuzz.mk: bounded fuzzing and the hermeticity test's tool.
# Included by the Makefile (`include hack/fuzz.mk`); `make fuzz` runs each
# fuzz target for FUZZTIME. Crashers land in <pkg>/testdata/fuzz/<Target>/,
# where `go test` replays them from then on: commit them with the fix.

FUZZTIME        ?= 25s
# Minimizing an "interesting" input of the larger seeds (deep nesting, the
# alias bomb) can stall a short run for tens of seconds; keep it short.
FUZZMINIMIZE    ?= 2s
FUZZ_TARGETS    := FuzzRender:./render FuzzFunction:./fn FuzzWriters:./fn

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 25s each).
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; pkg=$${t#*:}; \
	  echo "go test -run '^$$' -fuzz '^$$name\$$' -fuzztime $(FUZZTIME) $$pkg"; \
	  go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg; \
	done

# The hermeticity test (cmd/servelayer/hermetic_test.go) traces the binary
# with strace. CI is a fresh Debian box running as root: install it there.
.PHONY: strace
strace: ## Install strace when absent (Debian, root).
	@command -v strace >/dev/null 2>&1 || { \
	  echo "installing strace"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq strace >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq strace >/dev/null; fi; }

# `make tools` (what .ci/run calls before `make test`) also installs strace.
tools: strace
