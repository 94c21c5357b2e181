// What every mock format shares: the deterministic reply a test can predict,
// how it is cut into stream chunks, and token counts for usage.
import crypto from 'node:crypto';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Echo at most this much of the prompt, so a 4 MiB prompt gives a short reply. */
const ECHO_LIMIT = 200;

/**
 * The reply text for a request.  `reply` (a mock option) may be a string or
 * a function ({model, prompt, api, body}) -> string; the default echoes the
 * prompt so concurrent tests can tell their answers apart.
 */
export function replyText(reply, info) {
    if (typeof reply === 'function') return reply(info);
    if (typeof reply === 'string') return reply;
    const prompt = info.prompt.length > ECHO_LIMIT ? info.prompt.slice(0, ECHO_LIMIT) : info.prompt;
    return `Mock reply from ${info.model}: you said ${prompt}`;
}

/** Split text into stream pieces: one word plus its trailing spaces each. */
export function chunkText(text) {
    const pieces = text.match(/\s*\S+\s*/g);
    return pieces && pieces.length ? pieces : [text];
}

/** A stable, cheap token estimate: ~4 characters per token, at least 1. */
export function countTokens(text) {
    return Math.max(1, Math.ceil(text.length / 4));
}

export function randomId(prefix) {
    return `${prefix}${crypto.randomBytes(12).toString('hex')}`;
}

/** Deterministic embedding of `dims` floats in [-1, 1) derived from the text. */
export function embedText(text, dims) {
    const out = new Float32Array(dims);
    let block = Buffer.alloc(0);
    for (let i = 0, counter = 0; i < dims; i++) {
        if (block.length < 4) {
            block = crypto.createHash('sha256').update(`${counter++}:${text}`).digest();
        }
        out[i] = block.readUInt32LE(0) / 2 ** 31 - 1;
        block = block.subarray(4);
    }
    return out;
}

/**
 * What the real APIs refuse about numbers: a value outside [min, max], or
 * a token count that is not a positive integer.  Returns the message the
 * provider's 400 carries, or null.  Sampling values of the requests the
 * tests send (0..1) pass everywhere.
 */
export function numberProblem(name, value, { min = null, max = null, integer = false } = {}) {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) return `Invalid type for '${name}': expected a number`;
    if (integer && !Number.isInteger(value)) return `Invalid type for '${name}': expected an integer, but got a decimal number instead.`;
    if (min !== null && value < min) return `Invalid '${name}': ${value} is below the minimum value of ${min}.`;
    if (max !== null && value > max) return `Invalid '${name}': ${value} is above the maximum value of ${max}.`;
    return null;
}

/** Text content of an OpenAI/Anthropic style message content (string or parts). */
export function contentText(content) {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
        return content.map((p) => (typeof p === 'string' ? p : p?.text ?? '')).join('');
    }
    return '';
}
