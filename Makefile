# ngx_llm: nginx module + controld + llmctl.
#
#   make deps    install every build/test/run dependency (Debian, as root)
#   make deps-run  only what building and running needs (make run uses it)
#   make         build/ngx_llm_module.so, build/controld, build/llmctl
#   make run     run the gateway on conf/config.yaml (127.0.0.1:4000)
#   make test    unit + integration tests
#   make bench   gateway vs plain nginx proxy_pass
#   make fuzz    libFuzzer targets for the parsers
#   make test-asan NGINX_ASAN_SRC=DIR   integration suites on an ASan nginx
#   make chaos   load + reloads + kill -9 of controld and Redis; spend exact

SHELL     := /bin/bash
BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -g -O2
WARN      := -Wall -Wextra -Wno-unused-parameter
CORE_DIR  := ngx_llm_module/src/core

all: module controld ui

.PHONY: all deps run test bench fuzz clean

include mk/*.mk

RUN_ARGS ?= --config conf/config.yaml

run: deps-run all
	$(BUILD)/llmctl run $(RUN_ARGS)

clean:
	rm -rf $(BUILD)
