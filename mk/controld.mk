# controld (daemon) and llmctl (operator CLI), both from controld/*.c:
#   cfg_*.c      the config compiler and helpers shared by both binaries and
#                linked into t/unit/test_cfg*.c (CONTROLD_LIB_SRCS, no main)
#   ctl_*.c      runtime helpers shared by both binaries (logging, HTTP)
#   controld_*.c the daemon;  llmctl_*.c the CLI

CONTROLD_LIB_SRCS := $(wildcard controld/cfg_*.c)
CONTROLD_LIBS     := -lyaml -ljansson -lcurl -lcrypto -lm
CONTROLD_HDRS     := $(wildcard controld/*.h)
CTL_SRCS          := $(wildcard controld/ctl_*.c)
CONTROLD_CFLAGS   := -std=gnu99 $(WARN) -O2 -g -D_GNU_SOURCE

.PHONY: controld
controld: $(BUILD)/controld $(BUILD)/llmctl

$(BUILD)/controld: $(wildcard controld/controld_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CONTROLD_CFLAGS) -Icontrold -o $@ $(wildcard controld/controld_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_LIBS)

$(BUILD)/llmctl: $(wildcard controld/llmctl_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CONTROLD_CFLAGS) -Icontrold -o $@ $(wildcard controld/llmctl_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_LIBS)
