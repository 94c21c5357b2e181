// Reading Prometheus text (a /metrics scrape) in tests.

/**
 * The sum of the samples of `name` whose labels include `labels`, or null
 * when there is none: sample(text, 'llm_requests_total', {ingress: 'openai'}).
 */
export function sample(text, name, labels = {}) {
    let total = null;
    for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[3] || '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)]
            .map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[4]);
    }
    return total;
}
