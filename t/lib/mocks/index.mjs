// Mock providers: see server.mjs (server, recording), faults.mjs (fault
// names), openai.mjs / anthropic.mjs / gemini.mjs (wire formats).
export { startMockProvider, MockProvider } from './server.mjs';
export { registerFault, parseFault, ERROR_KINDS } from './faults.mjs';
export { chunkText, countTokens, replyText } from './common.mjs';
