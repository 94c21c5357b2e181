# Debian packages (debian/): libnginx-mod-http-llm and ngx-llm, built with
# dpkg-buildpackage from a copy of the tree in $(BUILD)/deb, then lintian.
#   make deb        build/deb/*.deb (+ .dsc, .changes), lintian clean
#   make test-deb   make deb, then install, run, purge (t/deb/run.sh)

DEB_OUT     := $(BUILD)/deb
DEB_VERSION := $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_STAGE   := $(DEB_OUT)/ngx-llm-$(DEB_VERSION)

.PHONY: deb test-deb

deb:
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_STAGE)/t/node_modules/uplot
	tar -c --exclude=./build --exclude=./.git --exclude=./t --exclude=./bench \
	    --exclude=./.ngx_llm . | tar -x -C $(DEB_STAGE)
	@# the console's chart library ships with it (see mk/ui.mk)
	mkdir -p $(DEB_STAGE)/t/node_modules/uplot/dist && cp $(UPLOT_PKG)/dist/uPlot.iife.js \
	    $(UPLOT_PKG)/dist/uPlot.min.css $(DEB_STAGE)/t/node_modules/uplot/dist/
	cp $(UPLOT_PKG)/LICENSE $(UPLOT_PKG)/package.json \
	    $(DEB_STAGE)/t/node_modules/uplot/
	cp t/package-lock.json $(DEB_STAGE)/t/
	cd $(DEB_STAGE) && dpkg-buildpackage -us -uc -j2 > ../build.log 2>&1 \
	    || { tail -40 ../build.log; exit 1; }
	lintian --fail-on error,warning,info,pedantic --pedantic --info --display-info $(DEB_OUT)/*.changes
	@ls -1 $(DEB_OUT)/*.deb

test-deb: deb
	bash t/deb/run.sh $(DEB_OUT)
