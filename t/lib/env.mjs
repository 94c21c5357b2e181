// Where the harness finds the product and how it behaves; every knob is an
// environment variable so CI and a developer's shell use the same switches.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const REPO_DIR = path.resolve(here, '..', '..');
export const BUILD_DIR = path.resolve(REPO_DIR, process.env.LLM_BUILD_DIR || 'build');
export const LLMCTL = process.env.LLMCTL || path.join(BUILD_DIR, 'llmctl');
export const CONTROLD = process.env.CONTROLD || path.join(BUILD_DIR, 'controld');
export const MODULE_SO = process.env.LLM_MODULE || path.join(BUILD_DIR, 'ngx_llm_module.so');
export const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';

/** TEST_KEEP=1: keep temp dirs (prefixes, logs, certs) of a failed run. */
export const KEEP_ON_FAILURE = process.env.TEST_KEEP === '1';
/** TEST_VERBOSE=1: echo llmctl output and harness steps to stderr. */
export const VERBOSE = process.env.TEST_VERBOSE === '1';

export function debug(...args) {
    if (VERBOSE) console.error('[harness]', ...args);
}
