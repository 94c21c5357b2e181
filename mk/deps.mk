# Debian packages.  Keep complete: CI runs on a fresh machine.
#   make deps-run   what building and running the gateway needs (make run)
#   make deps       that, plus every test, benchmark and packaging tool and
#                   the npm clients the integration suites drive (make test)
APT_RUN  := build-essential nginx nginx-dev libssl-dev libpcre2-dev zlib1g-dev \
            libjansson-dev libyaml-dev libhiredis-dev libcurl4-openssl-dev \
            openssl curl ca-certificates procps
APT_TEST := redis-server wrk clang libclang-rt-14-dev valgrind iproute2 \
            prometheus chromium debhelper devscripts lintian fakeroot \
            dpkg-dev systemd

.PHONY: deps-run

# apt_install(pkgs): installs the ones not installed yet; waits for a dpkg
# lock another apt run holds instead of failing.
define apt_install
	@missing=""; for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends \
	        -o DPkg::Lock::Timeout=600 $$missing; \
	fi
endef

# npm: the console's chart library (uPlot) comes from npm at build time
deps-run:
	$(call apt_install,$(APT_RUN) $(if $(shell command -v node && command -v npm),,nodejs npm))

deps: deps-run
	$(call apt_install,$(APT_TEST))
	@$(MAKE) --no-print-directory npm-deps
