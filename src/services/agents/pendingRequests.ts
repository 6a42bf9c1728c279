import type { ControlRequestLine } from './cliProtocol';
import { describeSuggestion, type PermissionRequest, questionsOf, questionSummary } from './permissions';
import { summarizeTool } from './toolSummary';

/**
 * The CLI's permission requests (`can_use_tool`) waiting for the user, oldest first: each with the
 * tool call it is about, and the input its answer echoes where the one shown differs (a plan read
 * from its file).
 */
export class PendingRequests {
  /** Oldest first. */
  readonly list: PermissionRequest[] = [];
  /** The tool_use id each request is about. */
  private readonly toolUse = new Map<string, string>();
  /** The input each request is answered with, where the one shown differs. */
  private readonly answerInputs = new Map<string, Record<string, unknown>>();

  /**
   * Takes a request as the CLI sent it. `plan`: the text of the plan file, for an ExitPlanMode that
   * does not carry it; shown as its `plan`, while the answer echoes the input as sent.
   */
  add(request: ControlRequestLine, context: { cwd: string; now: string; plan?: string | undefined }): PermissionRequest {
    const r = request.request;
    const toolName = r.tool_name ?? 'tool';
    const sent = r.input ?? {};
    const input = context.plan !== undefined && typeof sent.plan !== 'string' ? { ...sent, plan: context.plan } : sent;
    if (input !== sent) this.answerInputs.set(request.request_id, sent);
    const suggestions = (r.permission_suggestions ?? []).flatMap((value) => {
      const label = describeSuggestion(value);
      return label ? [{ label, value }] : [];
    });
    const questions = questionsOf(toolName, input);
    const pending: PermissionRequest = {
      requestId: request.request_id,
      toolName,
      input,
      summary: questions ? questionSummary(questions) : summarizeTool(toolName, input, context.cwd),
      requestedAt: context.now,
      ...(suggestions.length && !questions ? { suggestions } : {}),
      ...(typeof r.decision_reason === 'string' && r.decision_reason ? { reason: r.decision_reason } : {}),
      ...(questions ? { questions } : {}),
    };
    this.list.push(pending);
    if (r.tool_use_id) this.toolUse.set(request.request_id, r.tool_use_id);
    return pending;
  }

  /** Takes a request for its answer (or as withdrawn); undefined when none waits under that id. */
  take(requestId: string): PermissionRequest | undefined {
    this.toolUse.delete(requestId);
    const at = this.list.findIndex((p) => p.requestId === requestId);
    if (at < 0) {
      this.answerInputs.delete(requestId);
      return undefined;
    }
    const [request] = this.list.splice(at, 1);
    this.answerInputs.delete(requestId);
    return request;
  }

  /** The tool_use id a request is about. */
  toolUseOf(requestId: string): string | undefined {
    return this.toolUse.get(requestId);
  }

  /** The input an answer to the request echoes: as the CLI sent it. */
  answerInput(request: PermissionRequest): Record<string, unknown> {
    return this.answerInputs.get(request.requestId) ?? request.input;
  }

  /** The turn or the process ended: nothing waits any more. */
  clear(): void {
    this.list.length = 0;
    this.toolUse.clear();
    this.answerInputs.clear();
  }
}
