# Everyday commands. `make help` lists them. Every target installs what it needs.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STAGE ?= dev
REGION ?= us-east-1
FUNCTION ?= thumbnail

# The local stage: an AWS-compatible endpoint on this machine (MiniStack by default, LocalStack with
# LOCAL_AWS=localstack). The emulator accepts any credentials; these are placeholders, not secrets.
LOCAL_AWS ?= ministack
LOCAL_ENDPOINT ?= http://localhost:4566
LOCAL_ENV := AWS_ENDPOINT_URL=$(LOCAL_ENDPOINT) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
	AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 LOCAL_AWS=$(LOCAL_AWS)
SLS := npx --no-install serverless
# Serverless v3 asks whether to send telemetry and checks for updates; neither belongs in scripts or CI.
export SLS_TELEMETRY_DISABLED := 1
export SLS_NOTIFICATIONS_MODE := off
# The SDK warns in every process that its 2027 releases need Node 22. The functions run on nodejs22.x;
# the warning concerns only the machine running the tests, and repeating it buries their output.
# JEST_ARGS: test paths or a -t filter for one run, e.g. make test-functional JEST_ARGS=tests/functional/x.test.ts
JEST_ARGS ?=
JEST := AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install jest

.PHONY: help install build lint typecheck test-unit test-template test-functional test-load test clean \
	deploy invoke-redrive logs remove local-up local-down deploy-local remove-local demo bench bench-e2e worker

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed ## Install Node dependencies (npm ci)

build: install ## Package both functions and the CloudFormation template into .serverless/ (sls package)
	$(SLS) package --stage $(STAGE) --region $(REGION)

lint: build ## eslint, prettier --check, then cfn-lint and checkov on the packaged CloudFormation template
	npx --no-install eslint .
	npx --no-install prettier --check .
	scripts/python-venv.sh
	.venv/bin/cfn-lint
	scripts/python-venv.sh requirements-checkov.txt .venv-checkov
	.venv-checkov/bin/checkov --config-file .checkov.yaml

typecheck: install ## tsc --noEmit (strict)
	npx --no-install tsc --noEmit

test-unit: install ## Unit tests: no network, seconds
	$(JEST) $(JEST_ARGS) --selectProjects unit

test-template: build ## Check the packaged CloudFormation template (queues, IAM, notifications, outputs)
	$(JEST) --selectProjects template

# Two stacks: stage local (ingest: notification, as on AWS by default) for most tests, and stage
# local-bridge (ingest: eventbridge) for tests/functional/uploads-through-eventbridge-*.
test-functional: install ## Functional tests against the local stacks (starts and stops the endpoint)
	@trap '$(LOCAL_ENV) scripts/local-aws.sh down' EXIT; \
	$(LOCAL_ENV) scripts/local-aws.sh up; \
	$(LOCAL_ENV) $(SLS) deploy --stage local --region us-east-1; \
	$(LOCAL_ENV) $(SLS) deploy --stage local-bridge --region us-east-1; \
	$(LOCAL_ENV) $(SLS) deploy --stage local-worker --region us-east-1; \
	$(LOCAL_ENV) $(JEST) $(JEST_ARGS) --selectProjects functional --runInBand

test-load: install ## Opt-in load test: 2000 uploads, 10% hostile, 5% of S3 requests failing, on the local stack (LOAD_COUNT=...)
	@trap '$(LOCAL_ENV) scripts/local-aws.sh down' EXIT; \
	$(LOCAL_ENV) scripts/local-aws.sh up; \
	$(LOCAL_ENV) $(SLS) deploy --stage local --region us-east-1; \
	$(LOCAL_ENV) $(JEST) --selectProjects load --runInBand --verbose

test: lint typecheck test-unit test-template test-functional ## Everything CI runs

# Packages first (build): the bench measures the packaged thumbnail function's size and cold start too.
bench: build ## Benchmark the transform against naive jimp and sharp, the package's cold start and cost (BENCH_ARGS='--runs 9')
	scripts/python-venv.sh requirements-bench.txt .venv-bench
	AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install tsx scripts/bench/index.ts $(BENCH_ARGS)

bench-e2e: deploy-local ## Benchmark the deployed local stack: N uploads -> thumbnails (BENCH_ARGS='--count 100')
	$(LOCAL_ENV) AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install tsx scripts/bench/index.ts --e2e $(BENCH_ARGS)

clean: ## Remove build output, the venv and local emulator state
	rm -rf .serverless .esbuild .ffmpeg .ffmpeg-packages .venv .venv-checkov .venv-bench .local out coverage .bench-cache bench-results

deploy: install ## Deploy to AWS: make deploy STAGE=prod REGION=eu-west-1
	$(SLS) deploy --stage $(STAGE) --region $(REGION)

invoke-redrive: install ## Move dead-letter messages back (DATA='{"dryRun":true}' to only count)
	$(SLS) invoke --stage $(STAGE) --region $(REGION) -f redrive --data '$(or $(DATA),{})'

worker: install ## Consume the images queue from this machine (STAGE=local or local-worker: the local stacks; WORKER_ARGS='--once --concurrency 4')
	$(if $(filter local local-%,$(STAGE)),$(LOCAL_ENV)) AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
		node --import tsx src/worker/main.ts --stage $(STAGE) --region $(REGION) $(WORKER_ARGS)

logs: install ## Tail a function's logs: make logs FUNCTION=redrive
	$(SLS) logs --stage $(STAGE) --region $(REGION) -f $(FUNCTION) --tail

remove: install ## Delete the AWS stack of STAGE (empty its buckets first)
	$(SLS) remove --stage $(STAGE) --region $(REGION)

local-up: ## Start the local AWS endpoint unless one is already running
	$(LOCAL_ENV) scripts/local-aws.sh up

local-down: ## Stop the local AWS endpoint if local-up started it
	$(LOCAL_ENV) scripts/local-aws.sh down

deploy-local: install local-up ## Deploy the stack to the local endpoint (stage "local")
	$(LOCAL_ENV) $(SLS) deploy --stage local --region us-east-1

demo: deploy-local ## Deploy locally, upload sample images, download their thumbnails into ./out/
	$(LOCAL_ENV) AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install tsx scripts/demo.ts
	@echo "The local endpoint is still running for you to explore; 'make local-down' stops it."

remove-local: install ## Remove the local stack
	$(LOCAL_ENV) $(SLS) remove --stage local --region us-east-1
