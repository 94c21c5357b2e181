# C unit tests.  t/unit/test_<area>.c links with every core file
# (ngx_llm_module/src/core/llm_*.c); t/unit/test_cfg*.c links with controld's
# config compiler instead (CONTROLD_LIB_SRCS, from mk/controld.mk).

CORE_SRCS  := $(wildcard $(CORE_DIR)/llm_*.c)
UNIT_CORE  := $(filter-out t/unit/test_cfg%.c,$(wildcard t/unit/test_*.c))
UNIT_CFG   := $(wildcard t/unit/test_cfg*.c)
UNIT_CORE_BINS := $(patsubst t/unit/%.c,$(BUILD)/t/%,$(UNIT_CORE))
UNIT_CFG_BINS  := $(patsubst t/unit/%.c,$(BUILD)/t/%,$(UNIT_CFG))
UNIT_BINS  := $(UNIT_CORE_BINS) $(UNIT_CFG_BINS)
UNIT_FLAGS := -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer

$(UNIT_CFG_BINS): $(BUILD)/t/%: t/unit/%.c $(CONTROLD_LIB_SRCS) $(CONTROLD_HDRS) t/unit/unit.h
	@mkdir -p $(@D)
	@echo "CC $@"
	@$(CC) $(UNIT_FLAGS) -Icontrold -I$(CORE_DIR) -It/unit -o $@ $< $(CONTROLD_LIB_SRCS) $(CONTROLD_LIBS)

$(UNIT_CORE_BINS): $(BUILD)/t/%: t/unit/%.c $(CORE_SRCS) $(wildcard $(CORE_DIR)/*.h) t/unit/unit.h
	@mkdir -p $(@D)
	@echo "CC $@"
	@$(CC) $(UNIT_FLAGS) -I$(CORE_DIR) -It/unit -o $@ $< $(CORE_SRCS) -ljansson -lcrypto

.PHONY: unit
unit: $(UNIT_BINS)
	@p=0; f=0; for t in $(UNIT_BINS); do \
	    out=$$(cd t/unit && ASAN_OPTIONS=detect_leaks=1 $(CURDIR)/$$t 2>&1); rc=$$?; \
	    echo "$$out" | grep -v ' passed, ' ; \
	    line=$$(echo "$$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1); \
	    echo "$$line"; \
	    [ -n "$$line" ] || { echo "$$t: crashed (rc=$$rc)"; f=$$((f+1)); continue; }; \
	    p=$$((p + $$(echo "$$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'))); \
	    f=$$((f + $$(echo "$$line" | sed -E 's/.* ([0-9]+) failed.*/\1/'))); \
	    [ $$rc -eq 0 ] || [ $$(echo "$$line" | sed -E 's/.* ([0-9]+) failed.*/\1/') -gt 0 ] \
	        || { echo "$$t: exit $$rc"; f=$$((f+1)); }; \
	done; echo "unit: $$p passed, $$f failed"; [ $$f -eq 0 ]
