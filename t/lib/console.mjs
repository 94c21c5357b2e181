// The admin console, for the suites that drive it: its API with a cookie
// jar (session cookie + CSRF token) and headless Chromium.
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { request } from './http.mjs';
import { makeTempDir } from './tmp.mjs';

export const CHROMIUM = '/usr/bin/chromium';

/** A console API call: {status, json, headers}; keeps the cookie in `jar`. */
export async function uiCall(gw, jar, method, route, body, { csrf = jar.csrf, contentType } = {}) {
    const headers = {};
    if (jar.cookie) headers.cookie = jar.cookie;
    if (method === 'POST' && csrf) headers['x-csrf-token'] = csrf;
    if (contentType) headers['content-type'] = contentType;
    const res = await request(`${gw.url}/ui/api${route}`, {
        method, headers, body: method === 'POST' ? (body ?? {}) : undefined,
    });
    const set = res.headers['set-cookie']?.[0];
    if (set) jar.cookie = set.split(';')[0];
    return res;
}

/** Signs in with `key`: the jar {cookie, csrf, role, setCookie}. */
export async function uiSignIn(gw, key) {
    const jar = {};
    const res = await uiCall(gw, jar, 'POST', '/login', { key });
    assert.equal(res.status, 200, res.text);
    jar.csrf = res.json.csrf;
    jar.role = res.json.role;
    jar.setCookie = res.headers['set-cookie'][0];
    return jar;
}

/** Debian's Chromium, headless, offline, with a profile of its own. */
export function launchChromium() {
    return puppeteer.launch({
        executablePath: CHROMIUM, headless: true, userDataDir: makeTempDir('ngx-llm-chromium'),
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
}

/**
 * What a page does wrong, collected: script errors, CSP violations and any
 * request to another origin than the gateway's.  HTTP errors the page
 * expects (401 before sign-in, ...) are not problems.
 */
export function watchPage(page, gw) {
    const problems = [];
    page.on('console', (m) => {
        if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
        if (!/^(blob|data):/.test(r.url()) && !r.url().startsWith(gw.url)) problems.push(`fetched ${r.url()}`);
    });
    return problems;
}
