# Test targets users know; each maps to an npm script (see docs/TESTING.md).
.PHONY: test-quick test-local test-all test-coverage test-e2e lint typecheck build perf deb

test-quick:       ## unit tests only (mocks, no servers), seconds
	npm run test:unit

test-local:       ## unit + integration against loopback s3rver and moto_server
	npm run test:local

test-all:         ## everything runnable without AWS: unit, integration, chaos, crash, with coverage
	npm test

test-coverage:    ## coverage report (HTML in coverage/, text summary on stdout)
	npm run test:coverage

test-e2e:         ## real AWS; needs TVM_E2E_BUCKET (+ AWS_REGION / AWS_PROFILE)
	npm run test:e2e

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
