#!/usr/bin/env node
// Writes the request bodies `make bench` sends, one JSON file per body name:
//   node bench/gen-bodies.js OUTDIR
// Bodies are deterministic (seeded PRNG) so runs are comparable.  To add a
// body for a new scenario, add a function to BODIES.
'use strict';

const fs = require('fs');
const path = require('path');

// Small deterministic PRNG (mulberry32): same bytes on every run and machine.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the a file function request response module worker config ' +
  'buffer upstream stream token model route budget key error retry latency ' +
  'header body parse value return check test build cache user team spend ' +
  'limit window client server socket event handler filter chunk usage cost ' +
  'deployment fallback cooldown provider gateway message tool schema field ' +
  'string number array object index count offset length pointer memory').split(' ');

function sentence(rand, n) {
  const w = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(rand() * WORDS.length)]);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return w.join(' ') + '.';
}

function paragraph(rand, sentences) {
  const s = [];
  for (let i = 0; i < sentences; i++) s.push(sentence(rand, 8 + Math.floor(rand() * 10)));
  return s.join(' ');
}

// Source-code-like text: quotes, backslashes, tabs and newlines so the
// gateway's JSON scanner sees escapes the way real coding-agent traffic has.
function codeBlock(rand, lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const w = WORDS[Math.floor(rand() * WORDS.length)];
    out.push(`\tif (${w}_len > 0) { printf("%s: \\"${w}\\"\\n", ${w}); } // ${sentence(rand, 4)}`);
  }
  return out.join('\n');
}

const TOOL_NAMES = ['Read', 'Write', 'Edit', 'MultiEdit', 'Glob', 'Grep', 'Bash',
  'BashOutput', 'KillShell', 'LS', 'NotebookRead', 'NotebookEdit', 'WebFetch',
  'WebSearch', 'TodoWrite', 'Task', 'ExitPlanMode', 'SlashCommand',
  'ListMcpResources', 'ReadMcpResource', 'AskUser', 'ApplyPatch', 'RunTests',
  'GitDiff'];

function tool(rand, name) {
  const props = {};
  const nprops = 3 + Math.floor(rand() * 4);
  for (let i = 0; i < nprops; i++) {
    const pname = WORDS[Math.floor(rand() * WORDS.length)] + '_' + i;
    props[pname] = i % 3 === 2
      ? { type: 'array', items: { type: 'string' }, description: sentence(rand, 12) }
      : { type: i % 3 === 0 ? 'string' : 'integer', description: sentence(rand, 14) };
  }
  return {
    type: 'function',
    function: {
      name,
      description: paragraph(rand, 6 + Math.floor(rand() * 6)),
      parameters: {
        type: 'object',
        properties: props,
        required: Object.keys(props).slice(0, 2),
        additionalProperties: false,
      },
    },
  };
}

// A coding-agent conversation: a long system prompt, 24 tools, and turns of
// user text, assistant tool calls and tool results until the body reaches
// `target` bytes.
function agentRequest(seed, target, model, stream) {
  const rand = prng(seed);
  const body = {
    model,
    max_tokens: 8192,
    temperature: 1,
    stream,
    tools: TOOL_NAMES.map((n) => tool(rand, n)),
    tool_choice: 'auto',
    messages: [{ role: 'system', content: paragraph(rand, 60) + ' Caf\u00e9 \u2014 \u4f60\u597d.' }],
  };
  let turn = 0;
  while (JSON.stringify(body).length < target) {
    const id = `call_${seed}_${turn}`;
    const name = TOOL_NAMES[turn % TOOL_NAMES.length];
    body.messages.push({ role: 'user', content: paragraph(rand, 2) });
    body.messages.push({
      role: 'assistant',
      content: sentence(rand, 12),
      tool_calls: [{
        id,
        type: 'function',
        function: { name, arguments: JSON.stringify({ path: `src/${WORDS[turn % WORDS.length]}.c`, limit: 200 }) },
      }],
    });
    body.messages.push({ role: 'tool', tool_call_id: id, content: codeBlock(rand, 12) });
    turn++;
  }
  body.messages.push({ role: 'user', content: 'Now fix the failing test and explain the change.' });
  return body;
}

// The same conversation as Claude Code sends it: Anthropic Messages format
// (system string, tools with input_schema, tool_use / tool_result blocks).
function anthropicRequest(seed, target, model) {
  const oa = agentRequest(seed, target, model, false);
  const body = {
    model,
    max_tokens: oa.max_tokens,
    system: oa.messages[0].content,
    tools: oa.tools.map((t) => ({
      name: t.function.name,
      description: t.function.description,
      input_schema: t.function.parameters,
    })),
    messages: [],
  };
  for (const m of oa.messages.slice(1)) {
    if (m.role === 'user') {
      body.messages.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      body.messages.push({
        role: 'assistant',
        content: [{ type: 'text', text: m.content }].concat(m.tool_calls.map((c) => ({
          type: 'tool_use', id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments),
        }))),
      });
    } else {
      body.messages.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: m.content }],
      });
    }
  }
  return body;
}

const BODIES = {
  chat_small: () => ({
    model: 'bench-json',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write a haiku about load balancers.' },
    ],
    max_tokens: 64,
    temperature: 0.7,
  }),
  chat_stream: () => ({
    model: 'bench-sse',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write a haiku about load balancers.' },
    ],
    max_tokens: 64,
    temperature: 0.7,
    stream: true,
  }),
  chat_80k: () => agentRequest(42, 80 * 1024, 'bench-json', false),
  messages_80k: () => anthropicRequest(42, 80 * 1024, 'bench-json'),
  // chat_small's conversation as a Responses API request (Codex, Agents SDK)
  responses_small: () => ({
    model: 'bench-json',
    instructions: 'You are a helpful assistant.',
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'Write a haiku about load balancers.' }] }],
    max_output_tokens: 64,
    temperature: 0.7,
    store: false,
  }),
  chat_failover: () => ({
    model: 'bench-failover',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write a haiku about load balancers.' },
    ],
    max_tokens: 64,
  }),
};

function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: gen-bodies.js OUTDIR');
    process.exit(2);
  }
  fs.mkdirSync(out, { recursive: true });
  for (const [name, make] of Object.entries(BODIES)) {
    const text = JSON.stringify(make());
    JSON.parse(text); // a body that is not valid JSON would measure the error path
    fs.writeFileSync(path.join(out, `${name}.json`), text);
  }
}

main();
