// A tiny YAML emitter for test configs: block mappings and sequences, every
// string double-quoted (a JSON string is a valid YAML double-quoted scalar),
// so no value is ever re-typed by the parser ("yes", "1e3", "os.environ/X").
// Key order is kept, so tests can predict line numbers of what they write.

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

function scalar(value) {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw new Error(`yaml: cannot emit ${value}`);
        return String(value);
    }
    if (typeof value === 'string') return JSON.stringify(value);
    throw new Error(`yaml: unsupported scalar ${typeof value}`);
}

function key(k) {
    return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function isCollection(v) {
    return v !== null && typeof v === 'object';
}

function emptyCollection(v) {
    return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function emit(value, indent, lines) {
    const pad = ' '.repeat(indent);
    if (Array.isArray(value)) {
        for (const item of value) {
            if (isCollection(item) && !emptyCollection(item)) {
                // "- " followed by the item's first line, the rest indented by 2.
                const sub = [];
                emit(item, 0, sub);
                lines.push(`${pad}- ${sub[0]}`);
                for (const line of sub.slice(1)) lines.push(`${pad}  ${line}`);
            } else {
                lines.push(`${pad}- ${inline(item)}`);
            }
        }
        return;
    }
    for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (isCollection(v) && !emptyCollection(v)) {
            lines.push(`${pad}${key(k)}:`);
            emit(v, indent + 2, lines);
        } else {
            lines.push(`${pad}${key(k)}: ${inline(v)}`);
        }
    }
}

function inline(v) {
    if (isCollection(v)) return Array.isArray(v) ? '[]' : '{}';
    return scalar(v);
}

/** Serialize a plain object (or array) to YAML text ending in a newline. */
export function toYaml(value) {
    if (!isCollection(value)) return scalar(value) + '\n';
    if (emptyCollection(value)) return inline(value) + '\n';
    const lines = [];
    emit(value, 0, lines);
    return lines.join('\n') + '\n';
}

/** Serialize {NAME: value} to .env lines (values with spaces are quoted). */
export function toDotEnv(vars) {
    return Object.entries(vars)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => {
            const s = String(v);
            return /^[A-Za-z0-9_./:+@=-]*$/.test(s) ? `${k}=${s}` : `${k}=${JSON.stringify(s)}`;
        })
        .join('\n') + '\n';
}
