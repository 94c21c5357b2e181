# The chaos suite (t/chaos/): steady load while nginx and controld are
# reloaded, controld and Redis are killed (-9), a usage batch is cut from
# Redis' AOF and a deployment resets connections; prints a table of what
# the client saw and checks spend == the cost of every answer.  A few
# minutes; .ci/run runs it after `make test`.
#   make chaos                      CHAOS_REQUESTS=4000 (at least)
.PHONY: chaos
chaos: npm-deps all
	cd t && node --test --test-concurrency=1 --test-timeout=300000 \
	    --test-force-exit --test-reporter=spec chaos/
