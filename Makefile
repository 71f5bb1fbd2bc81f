# InfluenceGen infrastructure — every command a user runs. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The checksum database has no entry for github.com/cdktf/...; go.sum holds it.
export GONOSUMDB := github.com/cdktf
# No calls home from the cdktf CLI or Terraform.
export CHECKPOINT_DISABLE := 1
# jsii warns on every run that Node 20 is past end-of-life; the runtime works.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help deps synth plan iam rehearse test test-go test-ansible test-converge test-python test-scripts lint mutation parity snapshots bench clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  go run . help: the app's own commands (validate, parity, cost, protections, facts, iam, apicheck, review)"
	@echo "  scripts/models.sh --help: the GPU servers' models (supply, promote, verify, LoRA upload and withdrawal)"
	@echo "  operations (deploy, restore, patching, off hours, cost, rotation): docs/runbooks/README.md"

deps: ## install Go modules, the pinned cdktf CLI and the Debian test tools (apt, root or sudo)
	scripts/install-deps.sh

.PHONY: deps-synth
deps-synth: ## install only what synth needs: Go modules and the pinned cdktf CLI (no root)
	scripts/install-deps.sh --synth-only

synth: deps-synth ## validate, then synthesize every stack into cdktf.out/stacks
	npx cdktf synth
	@ls -1 cdktf.out/stacks

plan: ## the Terraform tier: validate + offline plan of every stack with the real provider, the day-2 scenarios, the harness's error classes
	go test -tags terraform -count=1 -v -run '^TestTerraform' ./e2etest ./internal/plan

iam: ## the IAM tier: every principal's every request in every environment (the CI roles' provider calls included), evaluated as AWS evaluates IAM; go test runs a subset
	go test -tags iam -count=1 -run '^TestIAM' ./e2etest

rehearse: synth ## the deploy path walked offline: every runbook block, then a new repository's bootstrap, first push, pull request and drift check, each job run by act with the stand-ins
	scripts/tools.sh act
	go test -tags rehearse -count=1 -v -timeout 40m -run '^TestRehearse$$' ./internal/rehearse

# Each tier that cannot run here (not root) says so and notes it in
# $(SKIPPED); make test repeats every note at the end, so that a run
# without root never looks like a full one.
SKIPPED := logs/not-run.txt

test: test-notes deps ## run every test, in two lanes at once (each line prefixed by its lane): [go] test-go plan iam rehearse test-scripts, [services] test-python test-ansible
	$(MAKE) --no-print-directory -j2 test-lane-go test-lane-services
	@if [[ -s $(SKIPPED) ]]; then \
		echo; echo "=============================================================================="; \
		echo "make test passed WITHOUT these tiers (not root; run it as root, as CI does):"; \
		sed 's/^not root: skipping /  NOT RUN: /' $(SKIPPED); \
		echo "=============================================================================="; \
	else echo "make test: every tier ran"; fi

.PHONY: test-notes
test-notes:
	@mkdir -p $(dir $(SKIPPED)) && : >$(SKIPPED)

# The two lanes of make test. The Go lane is CPU-bound (Terraform, jsii,
# Node.js); the services lane mostly waits (PostgreSQL, Redis, n8n, booted
# stand-in hosts, chroots), so they overlap on two cores. Neither writes
# what the other reads: only the Go lane writes cdktf.out (synth), and the
# model server's Debian root that both test-python and ansible/tests/models.sh
# use is built under a lock. Each lane runs its targets one after another.
.PHONY: test-lane-go test-lane-services
test-lane-go:
	$(MAKE) --no-print-directory -j1 test-go plan iam rehearse test-scripts 2>&1 | sed -u 's/^/[go] /'
test-lane-services:
	$(MAKE) --no-print-directory -j1 test-python test-ansible 2>&1 | sed -u 's/^/[services] /'

test-go: ## Go, the fast inner loop (no Terraform, no services): snapshots, parity proof, property and policy tests
	go test ./...

test-python: ## model server app (fake GPU stack, the image's web stack in a Debian 13 root), Dockerfile lint, their tests
	@if [[ "$$(id -u)" -eq 0 ]]; then docker/ai_model_server/tests/run.sh; \
	else mkdir -p $(dir $(SKIPPED)); echo "not root: skipping the model server tests (they run in a Debian 13 chroot; CI runs them)" | tee -a $(SKIPPED); fi
	/usr/bin/python3 -m pytest -q scripts/tests
	/usr/bin/python3 scripts/lint_dockerfiles.py

test-scripts: ## deploy/destroy/bootstrap scripts (bats, fake cdktf), shellcheck
	bats scripts/tests
	shellcheck -x .ci/run scripts/*.sh scripts/tests/*.bash ansible/tests/*.sh docker/ai_model_server/tests/*.sh ansible/roles/*/files/*.sh \
		ansible/tests/ssm/odoo/odoo-restore ansible/tests/ssm/cloudwatch-agent/amazon-cloudwatch-agent-ctl

test-ansible: ## Ansible: lint, syntax, templates, idempotence, roles against real PostgreSQL/Redis/n8n/git, the models end to end, site.yml over the SSM plugin
	@if [[ "$$(id -u)" -eq 0 ]]; then ansible/tests/run.sh; \
	else mkdir -p $(dir $(SKIPPED)); echo "not root: skipping the chroot idempotence and real-service tests (CI runs them)" | tee -a $(SKIPPED); ansible/tests/run.sh --no-converge; fi

test-converge: ## site.yml through the real Session Manager plugin on booted stand-in hosts, twice; a runbook; secrets (root; part of test-ansible)
	@if [[ "$$(id -u)" -eq 0 ]]; then ansible/tests/converge_ssm.sh; \
	else mkdir -p $(dir $(SKIPPED)); echo "not root: skipping the converge over the Session Manager plugin (systemd-nspawn; CI runs it)" | tee -a $(SKIPPED); fi

lint: ## gofmt and go vet
	@unformatted="$$(gofmt -l .)"; if [[ -n "$$unformatted" ]]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

mutation: ## mutation testing of the rule packages (gremlins): efficacy and mutant coverage per package, fails below scripts/mutation-floor.txt; PACKAGES="environments" for some
	scripts/mutation.sh $(PACKAGES)

snapshots: ## rewrite the golden stacks and print what changed, by resource type and argument (then review git diff)
	go test ./e2etest -run '^TestSnapshots$$' -update -v | grep -v '^=== RUN' | grep -v -- '^    --- PASS'

parity: ## report every difference between staging and production
	go run . parity staging production

bench: ## time synthesizing all stacks against the floor app
	scripts/bench-synth.sh

clean: ## remove synthesized output
	rm -rf cdktf.out
