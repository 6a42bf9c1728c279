import { ClaudeManagerError, type ErrorCode } from '../../services/errors';
import type { ErrorCode as ApiErrorCode, ClaudeManagerApi, ClaudeManagerExtension } from './claudeManager';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when the services' error codes and the published ones drift apart. */
const errorCodesMatch: Same<ErrorCode, ApiErrorCode> = true;
void errorCodesMatch;

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
