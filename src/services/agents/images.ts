import { ClaudeManagerError } from '../errors';
import { type ImageMediaType, type ImageToKeep, isImageMediaType } from '../storage/imageFiles';
import type { UserContent } from './cliProtocol';

/**
 * Images in messages: what the user may send (checked before anything is sent), how they go to
 * the CLI (content blocks of the user message, as the Messages API takes them), and the images a
 * tool's result carries (a Read of a PNG).
 */

/** The Messages API refuses an image whose base64 form is over 5 MB: its bytes may be three quarters of that. */
export const MAX_IMAGE_BYTES = (5 * 1024 * 1024 * 3) / 4;
/** Images one message may carry. */
export const MAX_IMAGES_PER_MESSAGE = 10;
/** What one message's images may weigh together (20 MB once encoded: the Messages API takes 32 MB a request, the conversation included). */
export const MAX_MESSAGE_IMAGE_BYTES = 15 * 1024 * 1024;

/** An image to send: base64 bytes, and optionally the type and the file name they came with. */
export interface ImageInput {
  data: string;
  mediaType?: string | undefined;
  name?: string | undefined;
}

/** An image checked for sending: its type read from its bytes. */
export interface PreparedImage extends ImageToKeep {
  /** The bytes as base64, as given. */
  base64: string;
}

/** An image a tool's result carried, as the CLI reported it. */
export interface InlineImage {
  mediaType: string;
  data: string;
}

const ACCEPTED = 'PNG, JPEG, GIF or WebP';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function megabytes(bytes: number): string {
  return `${+(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** The type the bytes are, from their first bytes; undefined when none the API takes. */
export function sniffImageType(bytes: Buffer): ImageMediaType | undefined {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) return 'image/gif';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * Checks the images of a message before anything is sent: how many, each one's type (read from
 * its bytes: a PNG named .jpg goes as the PNG it is) and size, and their total. Refused with
 * INVALID_INPUT naming the image and the limit.
 */
export function prepareImages(images: readonly ImageInput[]): PreparedImage[] {
  if (images.length > MAX_IMAGES_PER_MESSAGE) {
    throw new ClaudeManagerError('INVALID_INPUT', `A message can carry at most ${MAX_IMAGES_PER_MESSAGE} images; this one has ${images.length}. Send the others in another message.`);
  }
  let total = 0;
  const prepared = images.map((image, i): PreparedImage => {
    const label = image.name ? `"${image.name}"` : `Image ${i + 1}`;
    const type = image.mediaType ? ` (${image.mediaType})` : '';
    if (image.data.length % 4 !== 0 || !BASE64.test(image.data)) throw new ClaudeManagerError('INVALID_INPUT', `${label} is not base64 data: send an image's bytes encoded as base64.`);
    const data = Buffer.from(image.data, 'base64');
    if (data.length > MAX_IMAGE_BYTES) {
      throw new ClaudeManagerError('INVALID_INPUT', `${label} is ${megabytes(data.length)}: an image can be at most ${megabytes(MAX_IMAGE_BYTES)} (5 MB once encoded, the Messages API's limit). Make it smaller, then send it again.`);
    }
    const mediaType = sniffImageType(data);
    if (!mediaType) throw new ClaudeManagerError('INVALID_INPUT', `${label}${type} is not a ${ACCEPTED} image, the types Claude reads. Convert it to one of them first.`);
    total += data.length;
    return { mediaType, data, base64: image.data, ...(image.name ? { name: image.name } : {}) };
  });
  if (total > MAX_MESSAGE_IMAGE_BYTES) {
    throw new ClaudeManagerError('INVALID_INPUT', `The images come to ${megabytes(total)}: a message can carry at most ${megabytes(MAX_MESSAGE_IMAGE_BYTES)} of images. Send some of them in another message.`);
  }
  return prepared;
}

/** A user message as the CLI takes it: the text alone, or the images first and the text after them. */
export function userContent(text: string, images: readonly PreparedImage[]): UserContent {
  if (images.length === 0) return text;
  return [...images.map((image) => ({ type: 'image' as const, source: { type: 'base64' as const, media_type: image.mediaType, data: image.base64 } })), ...(text.trim() ? [{ type: 'text' as const, text }] : [])];
}

/** A tool result's content without its images, and the images (base64 ones; any other stays in the content). */
export function splitImages(content: unknown): { rest: unknown; images: InlineImage[] } {
  if (!Array.isArray(content)) return { rest: content, images: [] };
  const images: InlineImage[] = [];
  const rest = content.filter((block: unknown) => {
    const source = (block as { type?: unknown; source?: { type?: unknown; media_type?: unknown; data?: unknown } } | null)?.source;
    if ((block as { type?: unknown } | null)?.type !== 'image' || source?.type !== 'base64' || typeof source.data !== 'string' || typeof source.media_type !== 'string') return true;
    images.push({ mediaType: source.media_type, data: source.data });
    return false;
  });
  return { rest, images };
}

/** The most images one message keeps (what the store takes: see `messageCheck`). */
const MAX_KEPT = 100;

/** A tool's images as files to keep: the type from the bytes (else as reported); those of no type the chat shows, or past 100, are left out. */
export function keepable(images: readonly InlineImage[]): { keep: ImageToKeep[]; skipped: number } {
  const keep: ImageToKeep[] = [];
  for (const image of images) {
    if (keep.length === MAX_KEPT) break;
    const data = Buffer.from(image.data, 'base64');
    const mediaType = sniffImageType(data) ?? (isImageMediaType(image.mediaType) ? image.mediaType : undefined);
    if (mediaType && data.length > 0) keep.push({ mediaType, data });
  }
  return { keep, skipped: images.length - keep.length };
}
