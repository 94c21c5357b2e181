# controld (daemon) and llmctl (operator CLI), both from controld/*.c:
#   cfg_*.c      the config compiler and helpers shared by both binaries and
#                linked into t/unit/test_cfg*.c (CONTROLD_LIB_SRCS, no main)
#   keys_*.c store_*.c usage_*.c http_server*.c mgmt_*.c
#                virtual keys, their stores (state file, Redis), the usage
#                drain and the management API; also in CONTROLD_LIB_SRCS so
#                t/unit/test_cfg_keys*.c / test_cfg_store*.c can test them
#                (with ctl_*.c, which they use for logging and HTTP)
#   ctl_*.c      runtime helpers shared by both binaries (logging, HTTP)
#   controld_*.c the daemon;  llmctl_*.c the CLI

CONTROLD_LIB_SRCS := $(wildcard controld/cfg_*.c controld/keys_*.c \
                       controld/store_*.c controld/usage_*.c \
                       controld/http_server*.c controld/mgmt_*.c \
                       controld/ctl_*.c) \
                     $(CORE_DIR)/llm_provider.c $(CORE_DIR)/llm_provider_table.c \
                     $(CORE_DIR)/llm_provider_family.c $(CORE_DIR)/llm_routes.c
CONTROLD_LIBS     := -lyaml -ljansson -lcurl -lhiredis -lcrypto -lm -pthread
CONTROLD_HDRS     := $(wildcard controld/*.h) $(CORE_DIR)/llm_provider.h \
                     $(CORE_DIR)/llm_routes.h
# ctl_*.c are part of CONTROLD_LIB_SRCS (the key store logs through them)
CTL_SRCS          :=
CONTROLD_CFLAGS   := -std=gnu99 $(WARN) -O2 -g -D_GNU_SOURCE -I$(CORE_DIR)
# the package build adds Debian's hardening flags here (debian/rules)
CONTROLD_EXTRA_CFLAGS ?=
CONTROLD_LDFLAGS      ?=

.PHONY: controld
controld: $(BUILD)/controld $(BUILD)/llmctl

$(BUILD)/controld: $(wildcard controld/controld_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CONTROLD_CFLAGS) $(CONTROLD_EXTRA_CFLAGS) $(CONTROLD_LDFLAGS) -Icontrold -o $@ $(wildcard controld/controld_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_LIBS)

$(BUILD)/llmctl: $(wildcard controld/llmctl_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CONTROLD_CFLAGS) $(CONTROLD_EXTRA_CFLAGS) $(CONTROLD_LDFLAGS) -Icontrold -o $@ $(wildcard controld/llmctl_*.c) $(CONTROLD_LIB_SRCS) $(CTL_SRCS) $(CONTROLD_LIBS)
