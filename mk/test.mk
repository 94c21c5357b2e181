# Tests.  `make test` = unit tests (mk/unit.mk) + integration suites (node's
# built-in runner driving real nginx + controld + mock providers, t/).
#   make test-integration                       integration suites only
#   make test-integration SUITE=openai_sdk      one suite (t/integration/SUITE.test.mjs)
# Knobs (TEST_KEEP=1, TEST_VERBOSE=1, ...) are documented in t/lib/index.mjs.

# --test-timeout: no single test may hang a CI run; --test-force-exit: a
# leaked handle must not keep a finished suite alive.
NODE_TEST := node --test --test-concurrency=1 --test-timeout=180000 --test-force-exit

.PHONY: npm-deps test-integration

# npm ci when node_modules is missing or older than the lock; the very first
# time (no lock yet) npm install creates the lock.  A node_modules that is
# a symlink (a worktree sharing another checkout's install) is left alone:
# npm ci would empty the install it points to.
npm-deps:
	@cd t && if [ -L node_modules ]; then :; \
	elif [ ! -f package-lock.json ]; then \
	    npm install --no-audit --no-fund && touch node_modules; \
	elif [ ! -d node_modules ] || [ node_modules -ot package-lock.json ]; then \
	    npm ci --no-audit --no-fund && touch node_modules; \
	fi

test: deps all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory test-integration

test-integration: npm-deps all
	cd t && $(NODE_TEST) $(if $(SUITE),integration/$(SUITE).test.mjs,integration/)
