# The integration suites on an AddressSanitizer build of nginx itself with
# the module: memory errors in the module that the stock nginx would survive
# silently (a read past a buffer, a use after free) become reports.  Not part
# of `make test` (it builds nginx and runs the suites about twice as slowly).
#
#   make test-asan NGINX_ASAN_SRC=/path/to/nginx-1.22.1 [SUITE=faults_matrix]
#
# NGINX_ASAN_SRC is an nginx source tree, e.g. Debian's
# (`apt-get source --download-only nginx`, then unpack the .orig.tar.gz).
# Reports land in build/asan/logs; the target fails when there is one.
# Known false positive, switched off: nginx's dynamic modules define their
# own ngx_module_names (detect_odr_violation=0); leaks at exit are nginx's
# pools (detect_leaks=0).

NGINX_ASAN_SRC ?=
ASAN_BUILD     := $(shell sh mk/ngx-objdir.sh '$(abspath $(BUILD))/asan')
ASAN_CC_OPT    := -O1 -g -fsanitize=address -fno-omit-frame-pointer

.PHONY: test-asan
test-asan: all npm-deps
	@test -n "$(NGINX_ASAN_SRC)" && test -x "$(NGINX_ASAN_SRC)/configure" \
	    || { echo "test-asan: NGINX_ASAN_SRC=<nginx source tree> is needed" >&2; exit 2; }
	rm -rf $(ASAN_BUILD)/src $(ASAN_BUILD)/logs
	mkdir -p $(ASAN_BUILD)/logs && cp -a $(NGINX_ASAN_SRC) $(ASAN_BUILD)/src
	cd $(ASAN_BUILD)/src && ./configure --with-compat --with-debug \
	    --with-http_ssl_module --with-http_v2_module --with-http_sub_module \
	    --with-threads --with-cc-opt="$(ASAN_CC_OPT)" \
	    --with-ld-opt="-fsanitize=address" \
	    --add-dynamic-module=$(CURDIR)/ngx_llm_module \
	    > $(ASAN_BUILD)/configure.log 2>&1 \
	    || { tail -20 $(ASAN_BUILD)/configure.log; exit 1; }
	$(MAKE) -C $(ASAN_BUILD)/src > $(ASAN_BUILD)/make.log 2>&1 \
	    || { tail -20 $(ASAN_BUILD)/make.log; exit 1; }
	cd t && NGINX_BIN=$(ASAN_BUILD)/src/objs/nginx \
	    LLM_MODULE=$(ASAN_BUILD)/src/objs/ngx_http_llm_module.so \
	    ASAN_OPTIONS=log_path=$(ASAN_BUILD)/logs/asan:detect_leaks=0:detect_odr_violation=0 \
	    $(NODE_TEST) $(if $(SUITE),integration/$(SUITE).test.mjs,integration/)
	@if ls $(ASAN_BUILD)/logs/asan.* > /dev/null 2>&1; then \
	    echo "test-asan: AddressSanitizer reports in $(ASAN_BUILD)/logs:" >&2; \
	    head -40 $(ASAN_BUILD)/logs/asan.* >&2; exit 1; \
	fi
	@echo "test-asan: no AddressSanitizer reports"
