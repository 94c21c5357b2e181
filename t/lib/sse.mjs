// Server-sent events: encode for the mocks, parse for the tests.

/** One SSE frame. data may be an object (JSON-encoded) or a string. */
export function sseFrame(data, event) {
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    return (event ? `event: ${event}\n` : '') + `data: ${payload}\n\n`;
}

/**
 * Parse a full SSE text into [{event, data, json}] (blank-line separated,
 * CRLF or LF; multi-line data joined by '\n'; comments ignored).
 */
export function parseSse(text) {
    const events = [];
    for (const block of text.split(/\r?\n\r?\n/)) {
        if (!block.trim()) continue;
        let event = null;
        const data = [];
        for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(':')) continue;
            const idx = line.indexOf(':');
            const field = idx < 0 ? line : line.slice(0, idx);
            let value = idx < 0 ? '' : line.slice(idx + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
        }
        if (!data.length && event === null) continue;
        const joined = data.join('\n');
        let json;
        try { json = JSON.parse(joined); } catch { json = undefined; }
        events.push({ event, data: joined, json });
    }
    return events;
}
