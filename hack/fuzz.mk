# hack/fuzz.mk: bounded fuzzing and the hermeticity test's tool.
# Included by the Makefile (`include hack/fuzz.mk`); `make fuzz` runs each
# fuzz target for a fixed number of executions. Crashers land in
# <pkg>/testdata/fuzz/<Target>/, where `go test` replays them from then on:
# commit them with the fix.
#
# Counts, not durations: `-fuzztime <N>x` stops a target after N calls of the
# fuzz function (the baseline pass over the seed corpus and the cached
# corpus included), so a loaded machine takes longer but runs the same
# amount of fuzzing and cannot fail the step. A duration (`-fuzztime 25s`)
# made the work depend on the load, and when it ran out Go 1.26's fuzzing
# coordinator sometimes reported "context deadline exceeded" with no
# crasher. Minimizing a new input is bounded by a count too
# (`-fuzzminimizetime <N>x`), kept small because one call on the largest
# seeds (deep nesting, the alias bomb) takes far longer than on a spec.
#
# Each N is chosen so the target takes roughly 15-30 s on the 2-core
# development machine with the build cached (the first run also compiles the
# instrumented packages: a few minutes cold). Measured over two runs of
# `make fuzz` at a load average of 4-8 (another build running):
#
#   target        N        wall      calls/s once the baseline pass is done
#   FuzzRender    20000x   22-28 s   ~500-1100
#   FuzzFunction  10000x   19-24 s   ~500-1300
#   FuzzWriters   10000x   40-75 s   ~500-1500 (its baseline of ~500
#                                    inputs, some of them large, takes ~10 s
#                                    and more with the cached corpus; each
#                                    input also runs the function twice,
#                                    streamed and through kio.ByteWriter)
#   FuzzWriter     5000x   15-30 s   ~200-600 (every manifest type filled
#                                    from the input, each read back by kio)
#   FuzzScalar    50000x   15-25 s   ~3000
#   FuzzMarshal   20000x   10-20 s   ~1500
#
# The baseline pass covers the cached corpus (GOCACHE/fuzz) too, which grows
# with every run; `go clean -fuzzcache` resets it.
#
# Override with FUZZ_EXECS_<Target>=<N>x, for example
# `make fuzz FUZZ_EXECS_FuzzRender=200000x` for a longer local run.

FUZZ_EXECS_FuzzRender   ?= 20000x
FUZZ_EXECS_FuzzFunction ?= 10000x
FUZZ_EXECS_FuzzWriters  ?= 10000x
FUZZ_EXECS_FuzzWriter   ?= 5000x
FUZZ_EXECS_FuzzScalar   ?= 50000x
FUZZ_EXECS_FuzzMarshal  ?= 20000x
FUZZMINIMIZE            ?= 100x
# One worker: with two on a loaded 2-core machine, a worker busy with a large
# seed was reported as "hung or terminated unexpectedly" (no crasher). The
# counts above fix the work, so one worker only makes it take longer.
FUZZPARALLEL            ?= 1
# target:package:executions
FUZZ_TARGETS := FuzzRender:./render:$(FUZZ_EXECS_FuzzRender) \
                FuzzFunction:./fn:$(FUZZ_EXECS_FuzzFunction) \
                FuzzWriters:./fn:$(FUZZ_EXECS_FuzzWriters) \
                FuzzWriter:./internal/yamlout:$(FUZZ_EXECS_FuzzWriter) \
                FuzzScalar:./internal/yamlout:$(FUZZ_EXECS_FuzzScalar) \
                FuzzMarshal:./internal/yamlout:$(FUZZ_EXECS_FuzzMarshal)

.PHONY: fuzz
fuzz: ## Run every fuzz target for a fixed number of executions (see hack/fuzz.mk).
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; n=$${rest#*:}; \
	  echo "go test -run '^$$' -fuzz '^$$name\$$' -fuzztime $$n $$pkg"; \
	  go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$n -fuzzminimizetime $(FUZZMINIMIZE) -parallel $(FUZZPARALLEL) $$pkg; \
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
