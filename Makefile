# rds-provisioner: one entry point for building and testing.
#   make test    installs the Python test tools into .venv, then runs every test.
#   make venv    only the Python test tools (checkov, schemathesis, moto, cfn-lint).

VENV      := .venv
SWIFT     ?= swift

.PHONY: test venv build swift-test terraform-fmt clean

$(VENV)/.installed: tools/requirements-test.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-test.txt
	touch $@

venv: $(VENV)/.installed

build:
	$(SWIFT) build

test: venv terraform-fmt swift-test

# Swift Testing runs suites in parallel; tests that start processes or servers use their own
# temporary directories and ports, so they do not interfere.
swift-test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

terraform-fmt:
	@if [ -d terraform ]; then terraform fmt -check -recursive -diff terraform; fi

clean:
	rm -rf .build $(VENV)
