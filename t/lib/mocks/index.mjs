// Mock providers: see server.mjs (server, recording), faults.mjs (fault
// names), wire.mjs (segmentation and connection faults), openai.mjs / anthropic.mjs / gemini.mjs (wire formats),
// vault.mjs (a HashiCorp Vault test server: KV v1/v2, tokens, AppRole).
export { startMockProvider, MockProvider } from './server.mjs';
export { registerFault, parseFault, ERROR_KINDS } from './faults.mjs';
export { chunkText, countTokens, replyText } from './common.mjs';
export { parseWire, WireWriter } from './wire.mjs';
export { startMockVault, MockVault } from './vault.mjs';
export { startVertexTokenServer, serviceAccount, VERTEX_SCOPE } from './vertex.mjs';
