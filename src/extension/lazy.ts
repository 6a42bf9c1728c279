/**
 * The part of the extension loaded on first use, from a bundle of its own (`dist/lazy.js`): the
 * agent runtime (with zod and the CLI protocol), the spawn worker's host, the worktree setup's
 * schema, the API's input
 * schemas, the webviews' protocol schemas. Activation then compiles only what it runs. The extension's build turns each
 * `require()` of these modules into a `require()` of this bundle (esbuild.mjs).
 */
export { AgentRuntime } from '../services/agents/agentRuntime';
export { SpawnHost } from '../services/spawn/spawnHost';
export { OtherWindows, serveAgents, socketFolder, storeSecret } from '../services/windows/agentWindows';
export { WorktreeSetup } from '../services/workspaces/worktreeSetup';
export { checkInput } from './api/apiInputs';
export { chatOpened, commandSchemas, isCommandName, isRequestMethod, notificationSchemas, requestSchemas, webviewMessageEnvelope } from '../webview/protocol';
export { compareCommandSchemas, compareNotificationSchemas, compareRequestSchemas } from '../webview/compareProtocol';
export { overviewCommandSchemas, overviewNotificationSchemas, overviewRequestSchemas } from '../webview/overviewProtocol';
