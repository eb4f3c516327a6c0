# apicenter: the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/apicenter

.PHONY: build test bench demo vet fmt clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/apicenter

## test: the whole suite, under the race detector (what .ci/run runs). It
## runs in a temporary directory of its own and fails if the tests leave
## anything there (a built binary, a demo's directory of secrets). The
## directory is 755 as /tmp is: httpd's workers (as nobody) read the local
## org's CA file the Apache tests write there.
test:
	$(GO) vet ./...
	@tmp=$$(mktemp -d) && chmod 755 "$$tmp" && echo "TMPDIR=$$tmp $(GO) test -race -count=1 -timeout 20m ./..." && \
	TMPDIR=$$tmp $(GO) test -race -count=1 -timeout 20m ./...; rc=$$?; \
	left=$$(find "$$tmp" -mindepth 1 -maxdepth 1 | head -20); rm -rf "$$tmp"; \
	if [ -n "$$left" ]; then echo "make test: the tests left these in the temporary directory:"; echo "$$left"; exit 1; fi; \
	exit $$rc

## bench: the benchmarks (not part of `make test`); they print their figures.
## One package at a time, so that the timings do not share the CPUs.
bench: build
	$(GO) test -p 1 -run '^$$' -bench "MulesoftFlow|GatewayFlows" -benchtime 1x -timeout 30m ./internal/bench
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 2s -timeout 10m ./internal/devorg ./internal/gateway

## demo: the whole flow on one machine, on the embedded local org; ARGS are
## the demo's flags: make demo ARGS='--port 8080 --gateway kong'
demo: build
	./$(BIN) demo $(ARGS)

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
