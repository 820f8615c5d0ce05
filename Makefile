# callvault — `make run` and `make test` do all set-up on a fresh Debian machine (as root).
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages the tests, benchmarks and `make run` use; installed only when absent.
DEB_PACKAGES := sox ffmpeg sip-tester baresip prometheus iproute2 util-linux systemd chromium
# Only `make bench` needs these (the rtpengine peer of the load benchmark).
BENCH_DEB_PACKAGES := rtpengine-daemon
NPM_STAMP := node_modules/.package-lock.json
SOURCES := $(shell find agent/src -name '*.ts' 2>/dev/null)
# The native media reader (Node-API, plain C): compiled against the headers of the node that
# runs it (next to its binary: /usr/bin/node → /usr/include/node), no node-gyp, no download.
NODE_INCLUDE := $(shell node -p "require('path').resolve(process.execPath, '..', '..', 'include', 'node')")
ADDONS := native/build/rtp-reader.node native/build/fs-sync.node native/build/sd-notify.node
# The media reader is one addon from several units (native/rtp-reader/*.c over reader.h), linked
# with -flto so that the packet path inlines across them. native/build/faults/ holds the same
# addons built with fault injection (napi-util.h) for the unit tests of their failure paths;
# never shipped (packaging installs native/build/*.node only).
RTP_READER_SOURCES := $(sort $(wildcard native/rtp-reader/*.c))
RTP_READER_DEPS := $(RTP_READER_SOURCES) native/rtp-reader/reader.h native/napi-util.h
ADDONS += native/build/faults/rtp-reader.node native/build/faults/fs-sync.node native/build/faults/sd-notify.node
NATIVE_CFLAGS := -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -I$(NODE_INCLUDE)
# The daemon's node flags, as the shipped unit runs it (the load benchmark reads them there too).
DAEMON_NODE_FLAGS := $(shell sed -n 's|^ExecStart=/usr/bin/node \(.*\) /opt/callvault/bin/callvault.js.*|\1|p' systemd/callvault.service)
# In-place AES-GCM for the vault uses node's own OpenSSL, whose headers node ships beside
# node_api.h; a node without them gets node:crypto's sealing (more garbage, same bytes).
ifneq ($(wildcard $(NODE_INCLUDE)/openssl/evp.h),)
ADDONS += native/build/vault-seal.node
endif

.PHONY: deps deps-debian deps-npm build native lint typecheck test test-unit test-integration run bench clean package

deps: deps-debian deps-npm

deps-debian:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install:$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

deps-npm: $(NPM_STAMP)
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

build: deps-npm dist/.stamp native

native: $(ADDONS)
NODE_HEADERS_CHECK = @test -f $(NODE_INCLUDE)/node_api.h || { echo "Node headers missing in $(NODE_INCLUDE)" >&2; exit 1; }
native/build/rtp-reader.node: $(RTP_READER_DEPS)
	@mkdir -p $(@D)
	$(NODE_HEADERS_CHECK)
	cc $(NATIVE_CFLAGS) -flto -DNODE_GYP_MODULE_NAME=rtp_reader -o $@ $(RTP_READER_SOURCES) -lm
native/build/faults/rtp-reader.node: $(RTP_READER_DEPS)
	@mkdir -p $(@D)
	$(NODE_HEADERS_CHECK)
	cc $(NATIVE_CFLAGS) -flto -DCV_FAULT_INJECTION -DNODE_GYP_MODULE_NAME=rtp_reader -o $@ $(RTP_READER_SOURCES) -lm
native/build/%.node: native/%.c native/napi-util.h
	@mkdir -p native/build
	$(NODE_HEADERS_CHECK)
	cc $(NATIVE_CFLAGS) -DNODE_GYP_MODULE_NAME=$(subst -,_,$*) -o $@ $< -lm
native/build/faults/%.node: native/%.c native/napi-util.h
	@mkdir -p $(@D)
	$(NODE_HEADERS_CHECK)
	cc $(NATIVE_CFLAGS) -DCV_FAULT_INJECTION -DNODE_GYP_MODULE_NAME=$(subst -,_,$*) -o $@ $< -lm
dist/.stamp: $(SOURCES) tsconfig.json tsconfig.build.json $(NPM_STAMP)
	rm -rf dist
	npx tsc -p tsconfig.build.json
	@touch dist/.stamp

lint: deps-npm
	npx eslint agent test scripts
	npx depcruise --config .dependency-cruiser.cjs agent/src

typecheck: deps-npm
	npx tsc -p tsconfig.json --noEmit

test: deps build typecheck lint
	npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/scenarios/**/*.test.ts' 'scripts/bench/load/test/*.test.ts'

test-unit: deps-npm native
	npx mocha 'test/unit/**/*.test.ts'

test-integration: deps build
	npx mocha 'test/integration/**/*.test.ts'

CTL := node bin/callvaultctl.js --config firmware-config/dev.yaml

run: deps build
	@echo "callvault (dev): SIP udp+tcp 127.0.0.1:5060, admin API https://127.0.0.1:8443/api/v1, metrics http://127.0.0.1:9464/metrics, data ./var"
	@echo "  first admin:   printf '%s' 'a-long-password' | $(CTL) users add admin --role admin --password-stdin"
	@echo "  log in:        curl -k -X POST https://127.0.0.1:8443/api/v1/session -H 'content-type: application/json' -d '{\"username\":\"admin\",\"password\":\"a-long-password\"}'"
	@echo "  test call:     $(CTL) test-call --seconds 5   (SIPREC call with known tones, checked)"
	@echo "  import a call: $(CTL) import call.wav --meta '{\"number\":\"+46701234567\",\"agent\":\"1001\"}' ; then: $(CTL) recordings list"
	@echo "  stop:          Ctrl-C"
	node $(DAEMON_NODE_FLAGS) bin/callvault.js --config firmware-config/dev.yaml

bench: deps build
	@$(MAKE) --no-print-directory deps-debian DEB_PACKAGES="$(BENCH_DEB_PACKAGES)"
	npx tsx scripts/bench/run.ts

# dist-pkg/callvault_<version>_<arch>.deb (packaging/build-deb.sh; install: apt-get install ./that.deb).
package: build
	packaging/build-deb.sh

clean:
	rm -rf dist var .bench native/build dist-pkg .pkg-cache
