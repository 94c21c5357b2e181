# The nginx module, built the way Debian's libnginx-mod-* packages are: against
# nginx-dev's headers and configure flags, so the stock /usr/sbin/nginx loads
# it.  NGINX_SRC may point at another nginx source tree instead.

NGINX_SRC   ?= /usr/share/nginx/src
NGX_BUILD   := $(shell sh mk/ngx-objdir.sh '$(abspath $(BUILD))/nginx')
MODULE_SO   := $(BUILD)/ngx_llm_module.so
MODULE_SRCS := $(wildcard ngx_llm_module/src/*.[ch] ngx_llm_module/src/core/*.[ch])
# Calls between the module's own functions are bound inside the .so
# (-Bsymbolic-functions, -fno-semantic-interposition) and calls into nginx
# go through the GOT without a PLT stub (-fno-plt): no jump through a stub
# on each of the hundred-odd calls a request makes.
MODULE_CC_OPT ?= -g -O2 -fPIC -fno-semantic-interposition -fno-plt
MODULE_LD_OPT ?= -fPIC -Wl,-Bsymbolic-functions

module: $(MODULE_SO)

# configure again whenever the set of source files changes
MODULE_LIST := $(NGX_BUILD)/sources.list
$(shell mkdir -p $(NGX_BUILD); echo $(sort $(wildcard ngx_llm_module/src/*.c ngx_llm_module/src/core/*.c)) \
    | cmp -s - $(MODULE_LIST) || echo $(sort $(wildcard ngx_llm_module/src/*.c ngx_llm_module/src/core/*.c)) > $(MODULE_LIST))

# ... and whenever the flags change
MODULE_FLAGS := $(NGX_BUILD)/flags
$(shell echo '$(MODULE_CC_OPT) | $(MODULE_LD_OPT)' | cmp -s - $(MODULE_FLAGS) \
    || echo '$(MODULE_CC_OPT) | $(MODULE_LD_OPT)' > $(MODULE_FLAGS))

$(NGX_BUILD)/Makefile: ngx_llm_module/config $(MODULE_LIST) $(MODULE_FLAGS)
	@mkdir -p $(NGX_BUILD)
	cd $(NGINX_SRC) && \
	if [ -f conf_flags ]; then . ./conf_flags; \
	else NGX_CONF_FLAGS=(--with-compat --with-http_ssl_module --with-threads); fi; \
	./configure --with-cc-opt="$(MODULE_CC_OPT)" --with-ld-opt="$(MODULE_LD_OPT)" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module=$(CURDIR)/ngx_llm_module \
	    --builddir=$(NGX_BUILD) > $(NGX_BUILD)/configure.log 2>&1 \
	    || { tail -20 $(NGX_BUILD)/configure.log; exit 1; }

$(MODULE_SO): $(NGX_BUILD)/Makefile $(MODULE_SRCS)
	$(MAKE) -f $(NGX_BUILD)/Makefile -C $(NGINX_SRC) modules
	@# a new inode: a running nginx keeps mapping the old file safely
	cp $(NGX_BUILD)/ngx_http_llm_module.so $@.tmp && mv -f $@.tmp $@
