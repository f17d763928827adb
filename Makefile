# Steward build, run, test and benchmark entry points.
# `make run` and `make test` are all a fresh clone needs.

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
PKGS     := ./...
PLATFORMS := linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64

.PHONY: all build dist run test test-go test-browser vet lint cross fuzz bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./server/cmd/steward-server ./ctl/cmd/stewardctl ./agent/cmd/steward-agent

# Agent binaries for every platform, served to installers by the server.
dist:
	@mkdir -p $(BIN)/dist
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o $(BIN)/dist/steward-agent-$$os-$$arch$$ext ./agent/cmd/steward-agent || exit 1; \
	done

# deb and rpm packages of the Linux agent (bin/packages), from the dist builds.
.PHONY: packages
packages: dist
	@for arch in amd64 arm64; do \
		$(GO) run ./installer/cmd/steward-pkg --bin $(BIN)/dist/steward-agent-linux-$$arch \
			--arch $$arch --version $(VERSION) --out $(BIN)/packages || exit 1; \
	done

# Build, start a server on ./data and a local agent in the foreground.
run: build
	./installer/dev/run.sh

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	@$(GO) mod tidy -diff >/dev/null || (echo "go.mod/go.sum not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1)

# staticcheck, pinned as a tool in go.mod; staticcheck.conf says which checks.
lint:
	$(GO) tool staticcheck $(PKGS)

# go vet and a CGO_ENABLED=0 build for every supported OS and architecture.
cross:
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; echo "vet+build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) vet $(PKGS) || exit 1; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -o /dev/null ./server/cmd/... ./ctl/cmd/... ./agent/cmd/... || exit 1; \
	done

# A short run of every fuzz target (a fixed number of executions each).
fuzz:
	./.ci/fuzz.sh 50000x

test-go:
	$(GO) test -count=1 -timeout 20m $(PKGS)

test-browser: build
	@if [ -x server/web/e2e/run.sh ]; then ./server/web/e2e/run.sh; else echo "browser tests: none yet"; fi

test: vet lint cross test-go fuzz test-browser

bench: build
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./agent/cmd/steward-sim ./server/cmd/steward-bench
	./$(BIN)/steward-bench $(BENCH_ARGS)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./server/cmd/steward-uploadbench
	./$(BIN)/steward-uploadbench --bin $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./server/cmd/steward-ticketbench
	./$(BIN)/steward-ticketbench --bin $(BIN)
	STEWARD_INVOICE_BENCH=2000 $(GO) test ./server/invoices -run TestInvoiceBench -count=1 -v -timeout 30m
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./server/cmd/steward-searchbench
	./$(BIN)/steward-searchbench --bin $(BIN)

clean:
	rm -rf $(BIN)
