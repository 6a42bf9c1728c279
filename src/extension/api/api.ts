import { ClaudeManagerError } from '../../services/errors';
import type { ClaudeManagerApi, ClaudeManagerExtension } from './claudeManager';

/** Builds the object `activate()` returns. Every member is backed by the services. */
export function createExtensionApi(): ClaudeManagerExtension {
  const v1: ClaudeManagerApi = Object.freeze({ version: 1 as const });
  return {
    getAPI(version: number): ClaudeManagerApi {
      if (version !== 1) {
        throw new ClaudeManagerError(
          'INVALID_INPUT',
          `Claude Manager API version ${String(version)} does not exist; this extension provides version 1.`,
        );
      }
      return v1;
    },
  };
}
