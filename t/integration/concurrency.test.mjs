// Two nginx workers and 50 concurrent streams: every stream arrives whole,
// in order, and belongs to the request that asked for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, collectChatStream } from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-conc-');
let mock, gw;

before(async () => {
    // Chunks 10 ms apart keep all 50 streams open at the same time.
    mock = await startMockProvider({ apiKey: PROVIDER_KEY, chunkDelayMs: 10 });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('streamer', mock, 'upstream-stream')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
        workers: 2,
    });
});

after(() => closeAll(gw, mock));

test('50 concurrent streaming requests all complete intact', async () => {
    mock.reset();
    // Separate connections per request, as 50 independent clients would have.
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const client = gw.client({ timeout: 60000 });
        const prompt = `stream number ${i} with a few extra words to make it longer`;
        const stream = await client.chat.completions.create({
            model: 'streamer', stream: true, stream_options: { include_usage: true },
            messages: [{ role: 'user', content: prompt }],
        });
        return { i, prompt, ...(await collectChatStream(stream)) };
    }));
    assert.equal(mock.requests.length, 50);
    for (const r of results) {
        assert.equal(r.error, null, `stream ${r.i}: ${r.error}`);
        const seen = mock.requests.find((q) => q.body.messages[0].content === r.prompt);
        assert.ok(seen, `mock never saw stream ${r.i}`);
        assert.deepEqual(r.deltas, seen.response.chunks, `stream ${r.i} differs from what the provider sent`);
        assert.ok(r.deltas.join('').endsWith(r.prompt));
        assert.equal(r.finishReason, 'stop');
        assert.deepEqual(r.usage, seen.response.usage);
    }
    // Overlap check: the streams were really concurrent, not serialized.
    const starts = mock.requests.map((q) => q.at);
    assert.ok(Math.max(...starts) - Math.min(...starts) < 5000, 'requests were not concurrent');
});
