import type { MessageImage } from '../../services/storage/imageFiles';
import type { MessagePage, StoredMessage } from '../../services/storage/messageStore';
import type { ChatMessage, RequestResult } from '../../webview/protocol';

/** The agent's tool messages whose file change was kept, and those whose kept copies were dropped since. */
export interface FileChanges {
  kept: Set<string>;
  gone: Set<string>;
}

/** Where the webview loads an image from (its file, through `asWebviewUri`); undefined when it cannot. */
export type ImageSrc = (image: MessageImage) => string | undefined;

/** A page as the panel sends it: each message with whether its file change can be shown. */
export function chatPageOf(page: MessagePage, fileChanges: FileChanges, src?: ImageSrc): RequestResult<'chatPage'> {
  return { messages: page.messages.map((m) => chatMessage(m, fileChanges, src)), hasMore: page.hasMore, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/** The panel's view of a message: the documented fields, nothing of the store's bookkeeping; its images as references to their files. */
export function chatMessage(m: StoredMessage, fileChanges?: FileChanges, src?: ImageSrc): ChatMessage {
  return {
    id: m.id,
    role: m.role,
    kind: m.kind,
    content: m.content,
    ...(m.toolName !== undefined ? { toolName: m.toolName } : {}),
    ...(m.toolInput !== undefined ? { toolInput: m.toolInput } : {}),
    ...(m.toolOutput !== undefined ? { toolOutput: m.toolOutput } : {}),
    ...(m.isError !== undefined ? { isError: m.isError } : {}),
    ...(m.images?.length ? { images: m.images.map((image) => ({ ...image, ...(src && { src: src(image) }) })) } : {}),
    isComplete: m.isComplete,
    createdAt: m.createdAt,
    ...(fileChanges?.kept.has(m.id) ? { fileChange: true } : fileChanges?.gone.has(m.id) ? { fileChange: 'gone' as const } : {}),
    ...(m.parentId !== undefined ? { parentId: m.parentId } : {}),
    ...(m.subagent !== undefined ? { subagent: { status: m.subagent.status, ...(m.subagent.background ? { background: true } : {}), ...(m.subagent.result !== undefined ? { result: m.subagent.result } : {}) } } : {}),
  };
}
