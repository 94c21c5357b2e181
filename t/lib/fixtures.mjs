// Small building blocks the suites share: config snippets and assertions.
import assert from 'node:assert/strict';

/** A model_list entry: {model_name, litellm_params: {model, api_base, api_key, ...extra}}. */
export function deployment(modelName, model, params = {}, modelInfo) {
    const entry = { model_name: modelName, litellm_params: { model, ...params } };
    if (modelInfo) entry.model_info = modelInfo;
    return entry;
}

/** An openai/<model> deployment on a mock, key read from env var keyEnv. */
export function openaiDeployment(modelName, mock, providerModel, params = {}, keyEnv = 'OPENAI_API_KEY') {
    return deployment(modelName, `openai/${providerModel}`, {
        api_base: `${mock.url}/v1`,
        ...(keyEnv ? { api_key: `os.environ/${keyEnv}` } : {}),
        ...params,
    });
}

/**
 * Drain an openai SDK chat stream.  Returns {deltas, usage, finishReason,
 * chunks, error}; error is what iteration threw (null if it ended cleanly).
 */
export async function collectChatStream(stream) {
    const out = { deltas: [], usage: null, finishReason: null, chunks: [], error: null };
    try {
        for await (const chunk of stream) {
            out.chunks.push(chunk);
            const choice = chunk.choices?.[0];
            if (choice?.delta?.content) out.deltas.push(choice.delta.content);
            if (choice?.finish_reason) out.finishReason = choice.finish_reason;
            if (chunk.usage) out.usage = chunk.usage;
        }
    } catch (e) {
        out.error = e;
    }
    return out;
}

/** Assert an HTTP response is `status` with an OpenAI error body; returns the error object. */
export function assertOpenAIError(res, status, what = '') {
    const where = `${what} -> ${res.status} ${res.text?.slice(0, 300)}`;
    assert.equal(res.status, status, `status ${where}`);
    assert.match(String(res.headers['content-type']), /application\/json/, `content-type ${where}`);
    const err = res.json?.error;
    assert.ok(err && typeof err === 'object', `no {"error": {...}} in ${where}`);
    for (const k of ['message', 'type', 'param', 'code']) assert.ok(k in err, `error.${k} missing in ${where}`);
    assert.equal(typeof err.message, 'string');
    assert.ok(err.message.length > 0, `empty error message in ${where}`);
    return err;
}

/** Headers + body of a response as one string, for secret greps. */
export function responseText(res) {
    return `${JSON.stringify(res.headers)}\n${res.text}`;
}
