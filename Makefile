# Front door of the project. `make run` and `make test` each do their own set-up.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= 2

.PHONY: setup build run up down test test-unit bench token infra-up infra-down format clean

setup:
	@bash infra/setup.sh

build: setup
	@echo "build: configuring and compiling into $(BUILD)/"
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

infra-up: setup
	@bash infra/postgres.sh start
	@bash infra/kafka.sh start

infra-down:
	@bash infra/kafka.sh stop
	@bash infra/postgres.sh stop

# The whole stack in the foreground; Ctrl-C stops all of it.
run: build infra-up
	@bash infra/services.sh run

# The same stack in the background, returning once the gateway answers.
up: build infra-up
	@bash infra/services.sh up

down:
	@bash infra/services.sh down
	@bash infra/kafka.sh stop
	@bash infra/postgres.sh stop

# Builds, starts Postgres and Kafka if they are not running, runs every test, and stops what it
# started.
test: build
	@bash infra/test.sh $(BUILD)

test-unit: build
	@cd $(BUILD) && ctest -L unit --output-on-failure

bench: build
	@bash infra/bench.sh $(BUILD)

# A local token signed with the secret `make run` generated. Options go in ARGS, e.g.
#   make token ARGS="--org=acme --scope=deployments:read --environments=staging"
token:
	@test -s .state/auth/hs256.secret || { echo "no local secret yet: start the stack with make run or make up" >&2; exit 1; }
	@$(BUILD)/services/token/deployment-ledger-token --secret-file=.state/auth/hs256.secret $(ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	@rm -rf $(BUILD)
