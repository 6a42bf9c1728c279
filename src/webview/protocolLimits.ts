/**
 * Limits of the protocol's messages that both sides apply, kept apart from the schemas
 * (protocol.ts re-exports them) so that the webview can read them without bundling zod.
 */

/**
 * The images a message may carry: the types the Messages API reads, each at most 3.75 MB (5 MB
 * once encoded, the API's limit), at most 10 and 15 MB in all per message. The host checks them
 * again (and names the limit); the composer refuses what would not pass before it is attached.
 */
export const CHAT_IMAGE_LIMITS = {
  types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'],
  maxBytes: (5 * 1024 * 1024 * 3) / 4,
  maxPerMessage: 10,
  maxTotalBytes: 15 * 1024 * 1024,
} as const;
