# Debian packages needed to build, test and run.  Keep complete: CI runs on a
# fresh machine.
APT_PKGS := build-essential nginx nginx-dev libssl-dev libpcre2-dev zlib1g-dev \
            libjansson-dev libyaml-dev libhiredis-dev libcurl4-openssl-dev \
            redis-server wrk openssl curl ca-certificates \
            clang libclang-rt-14-dev valgrind procps iproute2

DEPS_STAMP := $(BUILD)/.deps-ok

deps:
	@missing=""; for p in $(APT_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; done; \
	command -v node >/dev/null && command -v npm >/dev/null \
	    || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(MAKE) --no-print-directory npm-deps
