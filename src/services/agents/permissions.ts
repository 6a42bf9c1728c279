import { ClaudeManagerError } from '../errors';

/** A "don't ask again" choice the CLI offers with a request: its wording here, and the rule as the CLI sent it. */
export interface PermissionSuggestion {
  /** e.g. "Yes, and don't ask again for Bash(npm test *) in this project". */
  label: string;
  /** Sent back unchanged as `updatedPermissions` when chosen. */
  value: unknown;
}

/** A tool call waiting for the user's answer (the API's PermissionRequest). */
export interface PermissionRequest {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
  /** One line, e.g. "Write src/a.ts". */
  summary: string;
  requestedAt: string;
  /** The CLI's own "don't ask again" choices for this call (`permission_suggestions`), in its order. */
  suggestions?: PermissionSuggestion[];
  /** Why the CLI asks ("This command requires approval"), when it says. */
  reason?: string;
}

/** The user's answer to a permission request. */
export interface PermissionAnswer {
  behavior: 'allow' | 'deny';
  /** For a denial: why, read by the agent. */
  message?: string;
  /** Allow the whole tool for the rest of the session (every Bash command, every Write). */
  always?: boolean;
  /** Allow, and add the rule of `suggestions[suggestion]` as the CLI offered it. */
  suggestion?: number;
}

const WHERE: Record<string, string> = {
  session: 'for this session',
  localSettings: 'in this project (your local settings)',
  projectSettings: 'in this project (shared settings)',
  userSettings: 'in every project (your user settings)',
};

function rulesText(rules: unknown): string | undefined {
  if (!Array.isArray(rules)) return undefined;
  const parts = rules.flatMap((r) => {
    const rule = r as { toolName?: unknown; ruleContent?: unknown };
    if (typeof rule?.toolName !== 'string') return [];
    return [typeof rule.ruleContent === 'string' && rule.ruleContent ? `${rule.toolName}(${rule.ruleContent})` : rule.toolName];
  });
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * One of the CLI's `permission_suggestions` in words, as its own prompt words them ("Yes, and
 * don't ask again for …"); undefined for a kind it does not describe (then it is not offered).
 */
export function describeSuggestion(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const s = value as { type?: unknown; rules?: unknown; behavior?: unknown; destination?: unknown; mode?: unknown; directories?: unknown };
  const where = typeof s.destination === 'string' ? (WHERE[s.destination] ?? `(${s.destination})`) : '';
  const tail = where ? ` ${where}` : '';
  if ((s.type === 'addRules' || s.type === 'replaceRules') && s.behavior === 'allow') {
    const rules = rulesText(s.rules);
    return rules ? `Yes, and don't ask again for ${rules}${tail}` : undefined;
  }
  if (s.type === 'setMode' && s.mode === 'acceptEdits') return `Yes, and allow all edits${tail}`;
  if (s.type === 'setMode' && typeof s.mode === 'string') return `Yes, and switch to ${s.mode} mode${tail}`;
  if (s.type === 'addDirectories' && Array.isArray(s.directories) && s.directories.every((d) => typeof d === 'string') && s.directories.length) {
    return `Yes, and always allow access to ${(s.directories as string[]).join(', ')}${tail}`;
  }
  return undefined;
}

/** The `control_response` body for an answer (`input`, as the CLI sent it, is echoed as it expects). */
export function permissionResponse(request: PermissionRequest, answer: PermissionAnswer, input: Record<string, unknown> = request.input): Record<string, unknown> {
  if (answer.behavior === 'deny') return { behavior: 'deny', message: answer.message?.trim() || 'The user denied this.' };
  if (answer.suggestion !== undefined) {
    const chosen = request.suggestions?.[answer.suggestion];
    if (!chosen) {
      throw new ClaudeManagerError('INVALID_INPUT', `The request for ${request.summary} offers ${request.suggestions?.length ?? 0} "don't ask again" choices; there is no choice ${answer.suggestion}.`);
    }
    return { behavior: 'allow', updatedInput: input, updatedPermissions: [chosen.value] };
  }
  return {
    behavior: 'allow',
    updatedInput: input,
    ...(answer.always ? { updatedPermissions: [{ type: 'addRules', rules: [{ toolName: request.toolName }], behavior: 'allow', destination: 'session' }] } : {}),
  };
}
