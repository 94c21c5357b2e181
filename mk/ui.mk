# The admin console (ui/, served by nginx at /ui/): plain HTML/JS/CSS copied
# into $(BUILD)/ui with uPlot, the chart library, taken from npm at build
# time and shipped with it (the browser fetches nothing from elsewhere).
# uPlot comes from t/node_modules (make deps) or, on a machine with only
# make deps-run, from an npm install of just that package into $(BUILD)/npm.

UI_DIR      := $(BUILD)/ui
UI_SRCS     := $(wildcard ui/*)
UPLOT_VER   := $(shell sed -n '/"node_modules\/uplot"/,/}/s/.*"version": "\(.*\)".*/\1/p' t/package-lock.json)
UPLOT_PKG   := $(firstword $(wildcard t/node_modules/uplot) $(BUILD)/npm/node_modules/uplot)

.PHONY: ui
ui: $(BUILD)/ui.built

$(BUILD)/npm/node_modules/uplot/package.json:
	@command -v npm >/dev/null || { echo "ui: uPlot needs npm: make deps-run" >&2; exit 1; }
	npm install --silent --no-save --no-package-lock --no-audit --no-fund \
	    --prefix $(BUILD)/npm uplot@$(UPLOT_VER)

$(BUILD)/ui.built: $(UI_SRCS) mk/ui.mk $(UPLOT_PKG)/package.json
	rm -rf $(UI_DIR) && mkdir -p $(UI_DIR)/vendor
	cp $(UI_SRCS) $(UI_DIR)/
	cp $(UPLOT_PKG)/dist/uPlot.iife.js $(UPLOT_PKG)/dist/uPlot.min.css $(UI_DIR)/vendor/
	cp $(UPLOT_PKG)/LICENSE $(UI_DIR)/vendor/uPlot.LICENSE
	touch $@
