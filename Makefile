# Test targets users know; each maps to an npm script (see docs/TESTING.md).
.PHONY: test-quick test-integration test-local test-all test-coverage test-e2e test-mutation lint typecheck build perf deb

test-quick:       ## unit tier only (fakes, no servers), seconds; .mocharc.unit.json
	npm run test:unit

test-integration: ## integration tier: loopback servers, the real daemon, chaos, crash, bad input; .mocharc.integration.json
	npm run test:integration

test-local:       ## unit + integration against loopback s3rver and moto_server
	npm run test:local

test-all:         ## everything runnable without AWS: unit, integration, chaos, crash, with coverage
	npm test

test-coverage:    ## coverage report (HTML in coverage/, text summary on stdout)
	npm run test:coverage

test-e2e:         ## e2e tier, real AWS; needs TVM_E2E_BUCKET (+ AWS_REGION / AWS_PROFILE); .mocharc.e2e.json
	npm run test:e2e

test-mutation:    ## Stryker over the core folders, one at a time, incremental (Node 24 when this Node is older); FOLDERS="schedule state" for some
	npm run test:mutation -- $(FOLDERS)

lint:
	npm run lint

typecheck:
	npm run typecheck

build:
	npm run build

perf:
	npm run perf

deb:              ## Debian package in build/deb/ (dpkg-deb; native addons for this Node major)
	npm run package:deb
