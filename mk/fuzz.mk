# libFuzzer targets for the parsers in ngx_llm_module/src/core (clang-14).
#
#   make fuzz                 build every target and run each for
#                             FUZZ_SECONDS (default 60); fails on a crash
#   make fuzz-build           build only
#   make fuzz FUZZ_TARGETS=sse FUZZ_SECONDS=300
#
# Seeds come from t/unit/samples; each target's corpus grows under
# build/fuzz/corpus/<target>, crashes land in build/fuzz/crash-<target>-*.

FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -I$(CORE_DIR)
FUZZ_CORE    := $(wildcard $(CORE_DIR)/llm_*.c)
FUZZ_PAIRS   := openai_anthropic openai_gemini anthropic_openai \
                anthropic_gemini gemini_openai gemini_anthropic \
                responses_openai responses_anthropic responses_gemini
FUZZ_ALL     := sse resp stream error json_tree scan eventstream \
                $(addprefix req_,$(FUZZ_PAIRS))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
FUZZ_DEPS    := $(FUZZ_CORE) $(wildcard $(CORE_DIR)/*.h) t/fuzz/fuzz_split.h

.PHONY: fuzz fuzz-build fuzz-seeds

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/fuzz_sse: t/fuzz/fuzz_sse.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

$(FUZZ_DIR)/fuzz_resp: t/fuzz/fuzz_xlate_resp.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

$(FUZZ_DIR)/fuzz_stream: t/fuzz/fuzz_xlate_stream.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

$(FUZZ_DIR)/fuzz_error: t/fuzz/fuzz_xlate_error.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

$(FUZZ_DIR)/fuzz_json_tree: t/fuzz/fuzz_json_tree.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

# the AWS event-stream framing (Bedrock's ConverseStream)
$(FUZZ_DIR)/fuzz_eventstream: t/fuzz/fuzz_eventstream.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

# the request scanner: its AVX2 and byte-by-byte implementations agree, and
# reading usage backwards finds what they find
$(FUZZ_DIR)/fuzz_scan: t/fuzz/fuzz_scan.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CORE) -ljansson -lcrypto -lz

# one binary per request direction: req_<from>_<to>
$(FUZZ_DIR)/fuzz_req_%: t/fuzz/fuzz_xlate_req.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_FROM='"$(word 1,$(subst _, ,$*))"' \
	    -DFUZZ_TO='"$(word 2,$(subst _, ,$*))"' -o $@ $< $(FUZZ_CORE) \
	    -ljansson -lcrypto -lz

# seed corpora; targets that read selector bytes get the samples prefixed
# with every selector that makes sense for them
fuzz-seeds:
	@S=t/unit/samples; C=$(FUZZ_DIR)/corpus; \
	api() { case $$1 in openai*) echo 0;; anthropic*) echo 1;; gemini*) echo 2;; *) echo 0;; esac; }; \
	mkdir -p $$C/sse $$C/resp $$C/stream $$C/error $$C/json_tree $$C/scan; \
	mkdir -p $$C/eventstream; \
	for f in $$S/*.evs; do b=$$(basename $$f); \
	    for sel in 0 1; do \
	        { printf "\\$$(printf %o $$sel)\\007"; cat $$f; } \
	            > $$C/eventstream/$$sel-$$b; done; done; \
	cp $$S/*.sse $$C/sse/; \
	cp $$S/*.json $$C/scan/; \
	if ls $(BUILD)/bench/bodies/*.json >/dev/null 2>&1; then \
	    cp $(BUILD)/bench/bodies/*.json $$C/scan/; fi; \
	for f in $$S/*.json; do b=$$(basename $$f); \
	    for sel in 1 7; do \
	        { printf "\\$$(printf %o $$sel)"; cat $$f; } > $$C/json_tree/$$sel-$$b; done; done; \
	for p in $(FUZZ_PAIRS); do from=$${p%%_*}; mkdir -p $$C/req_$$p; \
	    cp $$S/$${from}_req_*.json $$C/req_$$p/; done; \
	for f in $$S/*_resp_*.json; do b=$$(basename $$f); a=$$(api $$b); \
	    for t in 0 1 2 3; do sel=$$((a + 3 * t)); \
	        { printf "\\$$(printf %o $$sel)"; cat $$f; } > $$C/resp/$$t-$$b; done; done; \
	sapi() { case $$1 in cohere*) echo 3;; text*) echo 4;; *) api $$1;; esac; }; \
	for f in $$S/*.sse; do b=$$(basename $$f); a=$$(sapi $$b); \
	    for t in 0 1 2 3; do sel=$$((a + 5 * t)); \
	        { printf "\\$$(printf %o $$sel)\\001"; cat $$f; } > $$C/stream/$$t-$$b; done; done; \
	for f in $$S/*_error.* ; do b=$$(basename $$f); a=$$(api $$b); \
	    for t in 0 1 2 3; do sel=$$((a + 3 * t)); \
	        { printf "\\$$(printf %o $$sel)\\001\\220"; cat $$f; } > $$C/error/$$t-$$b; done; done

fuzz: fuzz-build fuzz-seeds
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    echo "fuzz_$$t: $(FUZZ_SECONDS)s"; \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -dict=t/fuzz/json.dict -artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
	        $(FUZZ_DIR)/corpus/$$t \
	        > $(FUZZ_DIR)/$$t.log 2>&1 \
	        || { echo "fuzz_$$t: FAILED (see $(FUZZ_DIR)/$$t.log)"; fail=1; }; \
	    grep -E '^stat::number_of_executed_units|cov: ' $(FUZZ_DIR)/$$t.log | tail -2; \
	done; [ $$fail -eq 0 ]
