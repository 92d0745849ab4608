# rds-provisioner: one entry point for building and testing.
#   make test    installs the Python test tools into .venv, then runs every test.
#   make venv    only the Python test tools (checkov, schemathesis, moto, cfn-lint).
#   make build-ProvisionerFunction ARTIFACTS_DIR=DIR   the Lambda's bootstrap (sam build calls it;
#                see docs/deploy.md for the Amazon Linux image and Static Linux SDK routes).

VENV      := .venv
SWIFT     ?= swift

.PHONY: test venv build swift-test terraform-fmt clean build-ProvisionerFunction lambda-package

$(VENV)/.installed: tools/requirements-test.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-test.txt
	touch $@

venv: $(VENV)/.installed

build:
	$(SWIFT) build

test: venv terraform-fmt swift-test

# Swift Testing runs suites in parallel; tests that start processes or servers use their own
# temporary directories and ports, so they do not interfere. lambda-package runs between build
# and test: DeploymentTests checks what it packaged.
swift-test:
	$(SWIFT) build --build-tests
	$(MAKE) lambda-package
	# SWIFTNIO_STRICT: NIO API misuse (an EmbeddedChannel used off its thread) crashes, not just warns.
	SWIFTNIO_STRICT=1 $(SWIFT) test --skip-build

# The Lambda function for `sam build` (BuildMethod: makefile; SAM sets ARTIFACTS_DIR): a
# release `bootstrap` with the Swift runtime linked in, so only glibc, libstdc++, libgcc_s,
# libm and libz come from Amazon Linux 2023. Run it where the target is the host (the
# swift:6.3-amazonlinux2 image on arm64 in CI), or cross-compile with the Static Linux SDK:
# `make build-ProvisionerFunction SWIFT_SDK=aarch64-swift-linux-musl ARTIFACTS_DIR=…` (fully
# static). FoundationEssentials' static library needs its two shim libraries named explicitly.
# Release builds use -O: about 7 % less CPU per message than -Osize for about 0.5 MiB more
# resident code, both well inside the Lambda's targets (BENCHMARKS.md). LAMBDA_OPTIMIZATION
# takes other flags (`-Xswiftc -Osize`). LAMBDA_SCRATCH_PATH keeps the build apart from the
# development one (scripts/benchmark/run uses .build-lambda).
LAMBDA_CONFIGURATION ?= release
LAMBDA_STATIC_FLAGS  ?= --static-swift-stdlib -Xlinker -l_FoundationCShims -Xlinker -l_FoundationCollections
LAMBDA_OPTIMIZATION  ?=
LAMBDA_SCRATCH_PATH  ?=
SWIFT_SDK            ?=
LAMBDA_BUILD_FLAGS    = -c $(LAMBDA_CONFIGURATION) $(if $(SWIFT_SDK),--swift-sdk $(SWIFT_SDK),$(LAMBDA_STATIC_FLAGS)) \
                        $(LAMBDA_OPTIMIZATION) $(if $(LAMBDA_SCRATCH_PATH),--scratch-path $(LAMBDA_SCRATCH_PATH))

build-ProvisionerFunction:
	@if [ -z "$(ARTIFACTS_DIR)" ]; then echo "ARTIFACTS_DIR is not set: name the directory that receives bootstrap" >&2; exit 2; fi
	$(SWIFT) build --product bootstrap $(LAMBDA_BUILD_FLAGS)
	mkdir -p "$(ARTIFACTS_DIR)"
	cp "$$($(SWIFT) build $(LAMBDA_BUILD_FLAGS) --show-bin-path)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"
	chmod 0755 "$(ARTIFACTS_DIR)/bootstrap"

# The same target for the host in debug (a cold release build takes many minutes), in its own
# scratch directory: objects compiled for a static Swift runtime carry autolink entries for
# static-only libraries, so sharing .build would break the next ordinary link.
# DeploymentTests checks the packaged bootstrap.
lambda-package:
	rm -rf .build/lambda-package
	$(MAKE) build-ProvisionerFunction LAMBDA_CONFIGURATION=debug LAMBDA_SCRATCH_PATH=.build-lambda-debug \
	  ARTIFACTS_DIR="$(CURDIR)/.build/lambda-package"

terraform-fmt:
	@if [ -d terraform ]; then terraform fmt -check -recursive -diff terraform; fi

clean:
	rm -rf .build .build-lambda .build-lambda-debug $(VENV)
